"""Structured logging: JSON lines with user and job ids; plain text in development; optional Sentry."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from narraforge.logging import ContextFilter, JSONFormatter, PlainFormatter, job_context

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured():
    """A logger whose records go through the project's filter into a JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("nf.test.logging")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_job_context_labels_every_line_including_threads_the_job_starts(captured):
    logger, lines = captured
    logger.info("before")
    with job_context(job_id="job-1"):
        logger.info("claimed")
        from narraforge.logging import bind

        bind(user_id="user-9")
        logger.warning("working %s", 42)
        thread = threading.Thread(target=lambda: logger.info("heartbeat"))
        thread.start()
        thread.join()
    logger.info("after")
    got = [(entry["message"], entry["job_id"], entry["user_id"]) for entry in lines()]
    assert got == [
        ("before", None, None),
        ("claimed", "job-1", None),
        ("working 42", "job-1", "user-9"),
        ("heartbeat", "job-1", "user-9"),
        ("after", None, None),
    ]


def test_json_lines_carry_level_logger_time_and_traceback(captured):
    logger, lines = captured
    try:
        raise ValueError("bad <input>")
    except ValueError:
        logger.exception("it broke", extra={"stage": "06"})
    (entry,) = lines()
    assert (
        entry["level"] == "ERROR" and entry["logger"] == "nf.test.logging" and entry["message"] == "it broke"
    )
    assert (
        entry["stage"] == "06"
        and "ValueError: bad <input>" in entry["exc"]
        and entry["ts"].endswith("+00:00")
    )


def test_plain_lines_append_the_ids():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.user_id, record.job_id = "u1", "j1"
    assert PlainFormatter().format(record).endswith("x hello [user_id=u1 job_id=j1]")


@pytest.mark.django_db
def test_web_lines_carry_the_signed_in_user(client, owner, captured):
    logger, lines = captured
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    from narraforge import urls

    def view(request):
        logger.warning("before auth resolved")  # the filter never queries to find the user
        request.user.is_authenticated  # noqa: B018 - resolves the user, as any real view does
        logger.warning("inside a request")
        return HttpResponse("ok")

    urls.urlpatterns.append(path("__log_test__/", view))
    clear_url_caches()
    try:
        client.force_login(owner)
        client.get("/__log_test__/")
        client.logout()
        client.get("/__log_test__/")
    finally:
        urls.urlpatterns.pop()
        clear_url_caches()
    logger.warning("after")
    got = [(entry["message"], entry["user_id"]) for entry in lines()]
    assert got == [
        ("before auth resolved", None),  # not known yet, and not looked up just to label a line
        ("inside a request", owner.pk),
        ("before auth resolved", None),
        ("inside a request", None),
        ("after", None),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_job_run_by_the_task_logs_its_ids(owner, monkeypatch):
    import jobs.attempt
    from jobs.services import job_create
    from jobs.tasks import run_generation_job
    from projects.services import project_create

    project = project_create(user=owner, name="Logs")
    job = job_create(
        user=owner,
        project=project,
        brief={
            "production_type": "short_story",
            "genre": "fantasy",
            "inspiration": "A map drawn in salt.",
        },
    )
    captured: list[logging.LogRecord] = []
    real_complete = jobs.attempt.job_complete

    def complete_and_log(**kwargs):  # a line written deep inside the run, as real code does
        logging.getLogger("jobs.completion").info("completing")
        return real_complete(**kwargs)

    monkeypatch.setattr(jobs.attempt, "job_complete", complete_and_log)

    class Keep(logging.Handler):
        def emit(self, record):
            captured.append(record)

    handler = Keep(level=logging.DEBUG)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("jobs.attempt").info("outside")
        job.refresh_from_db()
        assert run_generation_job(job.pk, job.rq_job_id) == "completed"
        assert run_generation_job(job.pk, job.rq_job_id) == "skipped"  # logs "nothing to do"
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    inside = [r for r in captured if r.job_id]
    assert inside, "the job wrote no log lines"
    assert all(r.job_id == job.pk for r in inside)
    (completing,) = [r for r in inside if r.getMessage() == "completing"]
    assert completing.user_id == owner.pk
    assert any("nothing to do" in r.getMessage() for r in inside)
    assert [r for r in captured if r.getMessage() == "outside"][0].job_id is None


def _settings_in_subprocess(env: dict[str, str], code: str) -> str:
    full = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT", "NF_TESTING", "SENTRY_DSN")
    }
    full.update({"DJANGO_SETTINGS_MODULE": "narraforge.settings", "SECRET_KEY": "x" * 60, **env})
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_production_logs_json_and_development_text():
    code = "import logging; logging.getLogger('nf.probe').warning('probe line')"
    production = _settings_in_subprocess({"DEBUG": "0"}, code).strip().splitlines()[-1]
    entry = json.loads(production)
    assert entry["message"] == "probe line" and entry["level"] == "WARNING" and "job_id" in entry
    development = _settings_in_subprocess({"DEBUG": "1"}, code).strip().splitlines()[-1]
    assert development.endswith("WARNING nf.probe probe line")
    forced = _settings_in_subprocess({"DEBUG": "1", "LOG_FORMAT": "json"}, code).strip().splitlines()[-1]
    assert json.loads(forced)["message"] == "probe line"


def test_sentry_only_when_a_dsn_is_set():
    code = "import sentry_sdk; print('sentry', sentry_sdk.get_client().is_active())"
    assert "sentry False" in _settings_in_subprocess({"DEBUG": "1"}, code)
    out = _settings_in_subprocess({"DEBUG": "1", "SENTRY_DSN": "https://public@sentry.invalid/1"}, code)
    assert "sentry True" in out
    code = (
        "import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(sorted(n for n in c.integrations if n in ('django', 'rq')))"
    )
    assert "['django', 'rq']" in _settings_in_subprocess(
        {"DEBUG": "1", "SENTRY_DSN": "https://public@sentry.invalid/1"}, code
    )
