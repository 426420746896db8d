"""The embedded PostgreSQL/Redis dev services, driven through their CLI.

Real servers on free ports in a temporary var/ dir; no Django involved, so
these run with `-p no:django` too. When run as root (CI) they exercise the
privilege drop for PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

pytestmark = pytest.mark.devservices

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = ("DATABASE_URL", "REDIS_URL", "DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_PORT")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def base_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # One var/ for the module: the cluster is initialised once, then reused.
    tmp = tmp_path_factory.mktemp("devservices")
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and not k.startswith("PG")}
    env |= {
        "NF_VAR_DIR": str(tmp / "var"),
        "NF_ENV_FILE": str(tmp / "no.env"),
        "NF_PG_PORT": str(free_port()),
        "NF_REDIS_PORT": str(free_port()),
        "NF_DEVSERVICES_TIMEOUT": "30",
    }
    return env


@pytest.fixture
def env(base_env: dict[str, str]):
    yield dict(base_env)
    cli("down", env=base_env)


def cli(
    *args: str, env: dict[str, str], check: bool = True, timeout: float = 60
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "narraforge.devservices", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def urls(env: dict[str, str]) -> dict[str, str]:
    out = cli("env", env=env).stdout
    pairs = (line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    return dict(pairs)


def pg_url(env: dict[str, str]) -> str:
    return f"postgresql://postgres@127.0.0.1:{env['NF_PG_PORT']}/narraforge"


def redis_url(env: dict[str, str]) -> str:
    return f"redis://127.0.0.1:{env['NF_REDIS_PORT']}/0"


def accepting(port: str) -> bool:
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def pids(env: dict[str, str]) -> tuple[int, int]:
    var = Path(env["NF_VAR_DIR"])
    pg = int((var / "postgres" / "postmaster.pid").read_text().split()[0])
    rd = int((var / "redis" / "redis.pid").read_text().split()[0])
    return pg, rd


def test_up_write_down_up_keeps_data(env: dict[str, str]) -> None:
    assert urls(env) == {
        "DATABASE_URL": pg_url(env).replace("postgresql", "postgres"),
        "REDIS_URL": redis_url(env),
    }
    with psycopg.connect(pg_url(env), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('hello')")
    redis.Redis.from_url(redis_url(env)).set("kept", "world")

    cli("down", env=env)
    assert not accepting(env["NF_PG_PORT"]) and not accepting(env["NF_REDIS_PORT"])
    assert "stopped" in cli("status", env=env).stdout

    started = time.monotonic()
    cli("up", env=env)
    assert time.monotonic() - started < 10  # warm start: no initdb
    with psycopg.connect(pg_url(env)) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [("hello",)]
    assert redis.Redis.from_url(redis_url(env)).get("kept") == b"world"
    # Idempotent: a second `up` reuses the running instances.
    before = pids(env)
    cli("up", env=env)
    assert pids(env) == before


def test_run_passes_urls_and_exit_code_then_stops_what_it_started(env: dict[str, str]) -> None:
    script = "import os, sys; print(os.environ['DATABASE_URL']); print(os.environ['REDIS_URL']); sys.exit(7)"
    done = cli("run", "--", sys.executable, "-c", script, env=env, check=False)
    assert done.returncode == 7, done.stderr
    assert done.stdout.split() == [pg_url(env).replace("postgresql", "postgres"), redis_url(env)]
    assert not accepting(env["NF_PG_PORT"]) and not accepting(env["NF_REDIS_PORT"])


def test_run_reuses_and_keeps_instances_started_by_up(env: dict[str, str]) -> None:
    cli("up", env=env)
    before = pids(env)
    cli("run", "--", sys.executable, "-c", "pass", env=env)
    assert pids(env) == before
    assert accepting(env["NF_PG_PORT"]) and accepting(env["NF_REDIS_PORT"])


def test_concurrent_runs_share_one_instance_and_the_last_one_stops_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    go = tmp_path / "go"
    wait = f"import pathlib, time\nwhile not pathlib.Path({str(go)!r}).exists(): time.sleep(0.05)"
    first = subprocess.Popen(
        [sys.executable, "-m", "narraforge.devservices", "run", "--", sys.executable, "-c", wait],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (accepting(env["NF_PG_PORT"]) and accepting(env["NF_REDIS_PORT"])):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        before = pids(env)
        cli("run", "--", sys.executable, "-c", "pass", env=env)  # joins, leaves: first still needs them
        assert pids(env) == before
        assert accepting(env["NF_PG_PORT"]) and accepting(env["NF_REDIS_PORT"])
    finally:
        go.touch()
        assert first.wait(30) == 0
    assert not accepting(env["NF_PG_PORT"]) and not accepting(env["NF_REDIS_PORT"])


def test_run_forwards_sigterm_and_reports_it(env: dict[str, str], tmp_path: Path) -> None:
    flag = tmp_path / "started"
    script = f"import pathlib, time\npathlib.Path({str(flag)!r}).touch()\ntime.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, "-m", "narraforge.devservices", "run", "--", sys.executable, "-c", script],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 128 + signal.SIGTERM
    assert not accepting(env["NF_PG_PORT"]) and not accepting(env["NF_REDIS_PORT"])


def test_crash_and_recycled_pid_leave_no_stale_state(env: dict[str, str]) -> None:
    cli("up", env=env)
    for pid in pids(env):
        os.kill(pid, signal.SIGKILL)  # crash: pidfiles stay behind
    deadline = time.monotonic() + 10
    while accepting(env["NF_PG_PORT"]) or accepting(env["NF_REDIS_PORT"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cli("up", env=env)  # recovers from the crash
    with psycopg.connect(pg_url(env)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    cli("down", env=env)

    # Pidfiles naming a live process that is not the server (pid reused after a reboot).
    var = Path(env["NF_VAR_DIR"])
    pgfile = var / "postgres" / "postmaster.pid"
    pgfile.write_text(f"{os.getpid()}\n{var / 'postgres'}\n0\n{env['NF_PG_PORT']}\n\n127.0.0.1\n0 0\nready\n")
    (var / "redis" / "redis.pid").write_text(f"{os.getpid()} {env['NF_REDIS_PORT']}\n")
    assert cli("status", env=env).stdout.count("stopped") == 2
    cli("up", env=env)
    assert pids(env)[0] != os.getpid()
    assert redis.Redis.from_url(redis_url(env)).ping()


def test_configured_database_is_left_alone(base_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(base_env, NF_VAR_DIR=str(tmp_path / "var"), DATABASE_URL="postgres://u@db.invalid:5432/x")
    try:
        assert urls(env) == {"REDIS_URL": redis_url(env)}
        assert not (tmp_path / "var" / "postgres").exists()
        done = cli("run", "--", sys.executable, "-c", "import os; print(os.environ['DATABASE_URL'])", env=env)
        assert done.stdout.strip() == "postgres://u@db.invalid:5432/x"
        # The seed's DB_* style, here from a .env file the way settings.py reads it.
        (tmp_path / ".env").write_text(
            "# comment\nexport DB_HOST=db.invalid\nREDIS_URL='redis://r.invalid:1/0'\n"
        )
        env = dict(env, NF_ENV_FILE=str(tmp_path / ".env"))
        del env["DATABASE_URL"]
        cli("down", env=env)
        assert cli("env", env=env).stdout == ""
        assert not (tmp_path / "var" / "postgres").exists()
    finally:
        cli("down", env=env)


def test_port_in_use_is_reported(env: dict[str, str]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(env["NF_REDIS_PORT"])))
        squatter.listen()
        done = cli("up", env=env, check=False)
    assert done.returncode == 1
    assert f"port {env['NF_REDIS_PORT']} on 127.0.0.1 is in use" in done.stderr
    assert "NF_REDIS_PORT" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_package_says_make_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from narraforge.devservices import postgres, redis_server

    monkeypatch.setattr(postgres.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(redis_server.shutil, "which", lambda name: None)
    for locate in (postgres.bindir, redis_server.server_binary):
        with pytest.raises(postgres.DevServiceError, match="run `make install`"):
            locate()
