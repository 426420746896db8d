"""Backup and restore: a dump restored into a fresh database holds every row."""

from __future__ import annotations

import datetime as dt
import gzip
import uuid

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from narraforge import backups

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds a map drawn in salt — zażółć gęślą jaźń.",
    "target_words": 5000,
}
TABLES = ("users", "projects", "generation_jobs", "narratives", "usage_logs", "generation_job_runtime")


def _conninfo(dbname: str) -> str:
    cfg = connection.settings_dict
    parts = {"dbname": dbname, "host": cfg["HOST"], "port": cfg["PORT"], "user": cfg["USER"]}
    if cfg.get("PASSWORD"):
        parts["password"] = cfg["PASSWORD"]
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _snapshot(dbname: str) -> dict:
    with psycopg.connect(_conninfo(dbname)) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608
        users = conn.execute("SELECT email, hashed_password, full_name FROM users ORDER BY email").fetchall()
        narratives = conn.execute(
            "SELECT id, title, md5(narrative_text), word_count, version FROM narratives ORDER BY id"
        ).fetchall()
        jobs = conn.execute(
            "SELECT id, status, production_brief::text FROM generation_jobs ORDER BY id"
        ).fetchall()
        usage = conn.execute("SELECT count(*), sum(cost_usd), sum(tokens_used) FROM usage_logs").fetchone()
        migrations = conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
    return {
        "counts": counts,
        "users": users,
        "narratives": narratives,
        "jobs": jobs,
        "usage": usage,
        "migrations": migrations,
    }


@pytest.fixture
def populated(transactional_db, make_user, settings):
    """Users, projects, jobs (completed and queued), narratives and usage logs, committed."""
    from jobs.attempt import run_job
    from jobs.services import job_create
    from narratives.services import narrative_rename
    from projects.services import project_create

    settings.RQ_QUEUES = {name: {**cfg, "ASYNC": True} for name, cfg in settings.RQ_QUEUES.items()}
    people = [make_user(f"writer{i}@example.com", full_name=f"Writer «{i}»") for i in range(3)]
    for person in people:
        project = project_create(user=person, name=f"Saga of {person.email}", description="Salt & <storms>")
        job = job_create(user=person, project=project, brief=BRIEF)
        assert run_job(job.pk, job.rq_job_id) == "completed"
        job.refresh_from_db()
        narrative_rename(narrative=job.narratives.get(), title=f"Tide “{person.pk[:6]}”")
        job_create(user=person, project=project, brief=BRIEF)  # stays queued
    return people


@pytest.fixture
def fresh_database():
    name = f"nf_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restored_into_a_fresh_database_holds_every_row(populated, fresh_database, tmp_path):
    source = _snapshot(connection.settings_dict["NAME"])
    assert source["counts"]["narratives"] == 3 and source["counts"]["generation_jobs"] == 6
    assert source["counts"]["usage_logs"] >= 3

    out = tmp_path / "nested" / "nf.sql.gz"
    result = backups.backup(out)
    assert result.path == out and out.stat().st_mode & 0o077 == 0  # owner-only: it holds password hashes
    with gzip.open(out, "rt") as fh:
        assert "PostgreSQL database dump" in fh.read(2000)
    assert not list(out.parent.glob(".*partial"))

    target = backups.Target.from_settings(name=fresh_database)
    backups.restore(out, target=target)
    restored = _snapshot(fresh_database)
    assert restored == source
    assert any(title.startswith("Tide “") for _, title, *_ in restored["narratives"])

    # Restoring again over a database that already holds data replaces it (no duplicates, no errors).
    with psycopg.connect(_conninfo(fresh_database), autocommit=True) as conn:
        conn.execute("CREATE TABLE leftover (x int)")
        conn.execute("DELETE FROM usage_logs")
    backups.restore(out, target=target)
    assert _snapshot(fresh_database) == source
    with psycopg.connect(_conninfo(fresh_database)) as conn:
        assert conn.execute("SELECT to_regclass('public.leftover')").fetchone()[0] is None


def test_a_failing_restore_changes_nothing(populated, fresh_database, tmp_path):
    out = backups.backup(tmp_path / "nf.sql").path
    target = backups.Target.from_settings(name=fresh_database)
    backups.restore(out, target=target)
    before = _snapshot(fresh_database)
    broken = tmp_path / "broken.sql"
    broken.write_text(out.read_text() + "\nSELECT no_such_function();\n")
    with pytest.raises(backups.BackupError, match="not changed"):
        backups.restore(broken, target=target)
    assert _snapshot(fresh_database) == before


def test_management_commands_and_their_errors(db, tmp_path, capsys):
    out = tmp_path / "cmd.sql.gz"
    call_command("backup_db", out=str(out))
    assert out.exists() and "Backed up to" in capsys.readouterr().out

    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore_db", str(tmp_path / "missing.sql.gz"), yes=True)
    not_a_dump = tmp_path / "notes.sql"
    not_a_dump.write_text("hello")
    with pytest.raises(CommandError, match="does not look like"):
        call_command("restore_db", str(not_a_dump), yes=True)
    # Without --yes and without a terminal to ask on, it refuses rather than guessing.
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore_db", str(out))


def test_it_names_a_backup_by_its_utc_time_under_var_backups(settings):
    path = backups.default_backup_path(dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    assert path == settings.BASE_DIR / "var" / "backups" / "narraforge-20260304-050607.sql.gz"


def test_a_client_older_than_the_server_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("NF_PG_BINDIR", str(tmp_path))
    target = backups.Target(name="x", host="db.example.com", port="5432")
    with pytest.raises(
        backups.BackupError, match=r"pg_dump 9\.6 .* is older than the PostgreSQL 15\.2 server"
    ):
        backups.find_clients(target, (15, 2), tools=("pg_dump",))


def test_system_client_for_an_external_server_and_a_clear_error_when_missing(monkeypatch, tmp_path):
    target = backups.Target(name="x", host="db.example.com", port="5432")
    monkeypatch.delenv("NF_PG_BINDIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backups.BackupError, match="pg_dump not found on PATH"):
        backups.find_clients(target, (16, 0), tools=("pg_dump",))


def test_the_embedded_server_uses_the_wheels_binaries(monkeypatch):
    from narraforge.devservices.postgres import bindir

    monkeypatch.delenv("NF_PG_BINDIR", raising=False)
    monkeypatch.setattr(backups, "is_embedded", lambda target: True)
    clients = backups.find_clients(backups.Target(name="narraforge"), (15, 0), tools=("pg_dump", "psql"))
    assert clients.source == "embedded" and clients.bindir == bindir()
