"""`manage.py check --deploy` is clean with production settings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "NF_TESTING", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _check(
        {
            "SECRET_KEY": "x9!Qv7#pLr2@Zt6$Wm4%Kc8^Hn3&Jd5*Fb1(Gs0)Ye-As+Dq=Ew;Ru:Ty<Ui>Op",
            "ALLOWED_HOSTS": "narraforge.example.com",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _check({"SECRET_KEY": "", "ALLOWED_HOSTS": "narraforge.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
