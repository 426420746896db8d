"""Fixtures for job tests: real PostgreSQL, real Redis, real `manage.py rqworker` processes.

Workers connect to pytest-django's test database and the test Redis db; the
orphan/heartbeat tunables are shortened through the environment so the
reaper's behaviour fits in seconds. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

FAST_TUNABLES = {
    "NF_HEARTBEAT_SECONDS": "0.5",
    "NF_ORPHAN_AFTER_SECONDS": "3",
    "NF_REAPER_INTERVAL_SECONDS": "2",
    "NF_QUEUED_GRACE_SECONDS": "2",
    "NF_CANCEL_GRACE_SECONDS": "3",
    "NF_PROGRESS_INTERVAL_SECONDS": "0.3",
}

SHORT_BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds a map drawn on the inside of a storm.",
    "target_words": 5000,
}


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(autouse=True)
def _fast_tunables(monkeypatch):
    for key, value in FAST_TUNABLES.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def project(owner):
    from projects.services import project_create

    return project_create(user=owner, name="Lighthouse cycle")


class Workers:
    def __init__(self, db_name: str, redis_url: str) -> None:
        self.db_name = db_name
        self.redis_url = redis_url
        self.procs: list[subprocess.Popen] = []

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        db = settings.DATABASES["default"]
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or "5432"
        env = {
            **os.environ,
            **FAST_TUNABLES,
            "DJANGO_SETTINGS_MODULE": "narraforge.test_settings",
            "NF_TESTING": "1",
            "DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{self.db_name}",
            "REDIS_URL": self.redis_url,
            "NF_TEST_REDIS_URL": self.redis_url,
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra or {})
        # Browser tests allow sync ORM calls beside Playwright's loop in *this* process only.
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        return env

    def start(
        self,
        *queues: str,
        env: dict[str, str] | None = None,
        scheduler: bool = True,
        log_path: Path | None = None,
    ) -> subprocess.Popen:
        """A worker process; ``log_path`` keeps its stdout and stderr (its log lines) in that file."""
        args = [
            sys.executable,
            "manage.py",
            "rqworker",
            *(queues or ("high", "default")),
            "--worker-class",
            "jobs.worker.NarraForgeWorker",
        ]
        if scheduler:
            args.append("--with-scheduler")
        log_file = open(log_path, "ab") if log_path is not None else None  # noqa: SIM115 (closed by the OS)
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(env),
            stdout=log_file or subprocess.DEVNULL,
            stderr=log_file or (subprocess.DEVNULL if not os.environ.get("NF_TEST_WORKER_LOGS") else None),
            start_new_session=True,  # its own process group: killpg takes the work horse too
        )
        if log_file is not None:
            log_file.close()  # the child has its own descriptor
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        # The work horse runs in a process group of its own (RQ calls setsid), so kill its children too.
        children = _children(proc.pid)
        for pid in [proc.pid, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out += [int(c) for c in text]
    except (FileNotFoundError, ProcessLookupError):
        pass
    grand = [g for c in out for g in _children(c)]
    return out + grand


@pytest.fixture
def workers(transactional_db, redis_conn):
    pool = Workers(settings.DATABASES["default"]["NAME"], settings.REDIS_URL)
    yield pool
    pool.stop_all()


@pytest.fixture
def fake_llm():
    """The engine's local Chat Completions server, and the worker env that points the openai backend at it."""
    from jobs.pipeline.testing import FakeChatServer

    with FakeChatServer(api_key="test-key") as server:
        server.worker_env = {
            "NF_LLM_BACKEND": "openai",
            "OPENAI_API_KEY": "test-key",
            "OPENAI_BASE_URL": server.base_url,
            "NF_LLM_MAX_ATTEMPTS": "2",
        }
        yield server
