"""`manage.py check --deploy` is clean with production settings."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    """The test database: model checks (the search table's GeneratedField) connect to the database,
    and the configured one need not exist where only its test copy does (CI's second pass)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def _check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "NF_TESTING", "DJANGO_SETTINGS_MODULE"}}
    env["DATABASE_URL"] = _database_url()
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "SECRET_KEY": "x9!Qv7#pLr2@Zt6$Wm4%Kc8^Hn3&Jd5*Fb1(Gs0)Ye-As+Dq=Ew;Ru:Ty<Ui>Op",
    "ALLOWED_HOSTS": "narraforge.example.com",
    "NF_CONNECTION_KEYS": "hQ0bT3nJ8sVYwZc2m5Xr4pL9kA7dF1gE6uR0iO3yW2s=",
}


@pytest.mark.usefixtures("db")
def test_production_settings_pass_the_deploy_check():
    result = _check(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.usefixtures("db")
def test_the_deploy_check_warns_when_connection_keys_are_left_to_the_secret_key_derivation():
    result = _check({**PRODUCTION, "NF_CONNECTION_KEYS": ""})
    assert result.returncode != 0
    assert "connections.W001" in result.stderr and "NF_CONNECTION_KEYS is not set" in result.stderr


@pytest.mark.usefixtures("db")
def test_a_malformed_connection_key_is_an_error_at_start_up():
    result = _check({**PRODUCTION, "NF_CONNECTION_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "connections.E001" in result.stderr


@pytest.mark.usefixtures("db")
def test_production_refuses_to_start_without_a_secret_key():
    result = _check({"SECRET_KEY": "", "ALLOWED_HOSTS": "narraforge.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
