"""What the benches that start processes share: a scratch database, a port, gunicorn, a worker.

Before this module, bench_pagemix.py repeated bench_load.py's scratch database
and gunicorn start, and bench_worker_memory.py repeated bench_jobs.py's worker
start. No Django import here: the web benches configure the environment before
Django is set up.

Ports: ``NF_BENCH_PORT`` picks the port a bench's gunicorn binds (a shared
machine gives each engineer a range); otherwise the kernel picks a free one.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]


class ScratchDatabase:
    """A database of its own on the configured server (created and dropped by the bench)."""

    def __init__(self, prefix: str) -> None:
        import environ

        from narraforge.envconfig import database_config

        self.server = database_config(environ.Env())
        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        auth = quote(self.server.get("USER") or "postgres", safe="")
        if self.server.get("PASSWORD"):
            auth += ":" + quote(self.server["PASSWORD"], safe="")
        self.hostport = f"{self.server.get('HOST') or '127.0.0.1'}:{self.server.get('PORT') or 5432}"
        self.url = f"postgres://{auth}@{self.hostport}/{self.name}"

    def admin_sql(self, sql: str) -> None:
        """One statement on the server's maintenance database (CREATE / DROP DATABASE)."""
        import psycopg

        with psycopg.connect(
            host=self.server.get("HOST") or "127.0.0.1",
            port=int(self.server.get("PORT") or 5432),
            user=self.server.get("USER") or "postgres",
            password=self.server.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(sql)

    def create(self) -> None:
        self.admin_sql(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self.admin_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def free_port() -> int:
    """``NF_BENCH_PORT`` when set, else a port the kernel says is free."""
    if os.environ.get("NF_BENCH_PORT"):
        return int(os.environ["NF_BENCH_PORT"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Every child a bench starts, each in its own process group; all stopped at the end."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], log: Path | None, env: dict | None = None) -> subprocess.Popen:
        out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - closed below
        try:
            proc = subprocess.Popen(
                args, cwd=ROOT, env=env or os.environ.copy(), stdout=out, stderr=out, start_new_session=True
            )
        finally:
            if log is not None:
                out.close()
        self.procs.append(proc)
        return proc

    def stop_all(self, *, grace: float = 10.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def start_gunicorn(procs: Processes, *, port: int, workers: int, log: Path, timeout: float = 30.0) -> str:
    """gunicorn (sync workers, the environment's settings) on 127.0.0.1:port, answering /healthz."""
    procs.start(
        [sys.executable, "-m", "gunicorn", "narraforge.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning", "--timeout", "60"],
        log,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return f"http://127.0.0.1:{port}"
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not answer on :{port} within {timeout:.0f} s; see {log}")
        time.sleep(0.2)


def start_worker(procs: Processes, *, env: dict, log: Path | None = None) -> subprocess.Popen:
    """One real ``rqworker`` (high and default queues, NarraForge's worker class)."""
    return procs.start(
        [sys.executable, "manage.py", "rqworker", "high", "default", "--worker-class",
         "jobs.worker.NarraForgeWorker", "--verbosity", "0"],
        log,
        env=env,
    )  # fmt: skip
