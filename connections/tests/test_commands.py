"""Operators: set_model_connection and rotate_connection_keys; bad input exits non-zero, saves nothing."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db

from connections.models import ModelConnection
from connections.selectors import connection_value

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-or-v1-7d1c0f9e3b5a2c4d6e8f0a1b3c5d7e9f"


def _run(*args, stdin=None) -> str:
    out = io.StringIO()
    call_command("set_model_connection", *args, stdout=out, **({"stdin": stdin} if stdin else {}))
    return out.getvalue()


def test_it_creates_a_connection_with_the_key_encrypted_and_prints_only_its_hint(owner):
    out = _run(
        "owner@example.com",
        "--base-url",
        "https://openrouter.ai/api/v1",
        "--api-key",
        KEY,
        "--model-mini",
        "gpt-4o-mini",
        "--model-gpt4",
        "anthropic/claude-sonnet-4",
        "--context",
        "200000",
        "--default",
    )
    row = ModelConnection.objects.get(user=owner)
    assert row.name == "openrouter.ai" and row.is_default and row.context_window == 200000
    assert (row.price_mini_input, row.price_mini_output) == (0.15, 0.60)  # from the price table
    assert connection_value(row).api_key == KEY
    assert KEY not in out and "sk-or-v1-…" in out and "writes their jobs by default" in out
    with db.cursor() as cur:
        cur.execute("SELECT row_to_json(c)::text FROM model_connections c")
        assert KEY not in cur.fetchone()[0]


def test_run_again_with_the_same_name_it_updates_and_reads_the_key_from_stdin(owner):
    _run(
        "owner@example.com", "--base-url", "http://gpu.example.com:8000/v1", "--name", "GPU", "--api-key", KEY
    )
    out = _run(
        "owner@example.com",
        "--base-url",
        "http://gpu2.example.com:8000/v1",
        "--name",
        "gpu",
        "--model-gpt4",
        "qwen2.5-72b",
        "--api-key",
        "-",
        stdin=io.StringIO("new-secret-key-0000111122223333\n"),
    )
    row = ModelConnection.objects.get(user=owner)
    assert out.startswith("Updated") and row.base_url == "http://gpu2.example.com:8000/v1"
    assert row.model_gpt4 == "qwen2.5-72b" and row.model_mini == "gpt-4o-mini"
    assert connection_value(row).api_key == "new-secret-key-0000111122223333"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nobody@example.com", "--base-url", "https://api.openai.com/v1"], "No user with the email"),
        (["owner@example.com", "--base-url", "ftp://api.example.com/v1"], "http:// or https://"),
        (["owner@example.com", "--base-url", "https://api.example.com/v1", "--context", "12"], "between 512"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_saved(owner, args, words):
    with pytest.raises(CommandError, match=words):
        _run(*args, "--api-key", KEY)
    assert not ModelConnection.objects.exists()


@pytest.mark.django_db(transaction=True)  # the command runs in another process: the user must be committed
def test_a_refused_url_exits_non_zero_from_the_shell(owner, tmp_path):
    from django.conf import settings

    db_settings = settings.DATABASES["default"]
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "narraforge.test_settings",
        "NF_TESTING": "1",
        "DATABASE_URL": f"postgres://{db_settings['USER']}@{db_settings['HOST']}:{db_settings['PORT']}/"
        f"{db_settings['NAME']}",
    }
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "set_model_connection",
            "owner@example.com",
            "--base-url",
            "file:///etc",
        ],
        cwd=ROOT,
        env=env,
        input=KEY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "http:// or https://" in result.stderr
    assert KEY not in result.stdout + result.stderr


def test_rotate_connection_keys_re_encrypts_and_reports(owner, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NF_CONNECTION_KEYS = [old]
    _run("owner@example.com", "--base-url", "https://api.openai.com/v1", "--api-key", KEY)
    settings.NF_CONNECTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_connection_keys", stdout=out)
    assert "Re-encrypted 1 API key(s)" in out.getvalue()
    settings.NF_CONNECTION_KEYS = [new]
    assert connection_value(ModelConnection.objects.get(user=owner)).api_key == KEY
    settings.NF_CONNECTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("rotate_connection_keys", stdout=io.StringIO())
