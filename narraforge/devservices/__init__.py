"""Embedded PostgreSQL and Redis for development and CI.

When neither DATABASE_URL (or the seed's DB_HOST/DB_NAME/DB_USER) nor
REDIS_URL is configured, `python -m narraforge.devservices run -- CMD`
starts real servers from pip-installed packages, data under ./var/, bound
to 127.0.0.1, and hands CMD their URLs. See __main__.py for the CLI.

Sharing: an instance started by `up` or `env` is persistent (only `down`
stops it). One started by `run` records the pids of the `run`s using it in
var/run/<name>.owners; a concurrent `run` joins, and the last one out stops
it. All of this happens under a file lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ._core import DevServiceError, Service, locked, pid_alive, settings_env, var_dir
from .postgres import Postgres
from .redis_server import Redis

__all__ = ["DevServiceError", "Service", "all_services", "embedded_services", "ensure", "release", "stop_all"]


def all_services(var: Path | None = None) -> list[Service]:
    var = var or var_dir()
    return [Postgres(var), Redis(var)]


def embedded_services() -> list[Service]:
    """The services the environment (and `.env`) leaves for us to provide."""
    env = settings_env()
    return [s for s in all_services() if not s.configured(env)]


def _owners(service: Service) -> list[int]:
    try:
        return [int(p) for p in service.owners_path.read_text().split()]
    except (OSError, ValueError):
        return []


def _set_owners(service: Service, pids: list[int] | None) -> None:
    if pids is None:
        service.owners_path.unlink(missing_ok=True)
    else:
        service.owners_path.write_text("".join(f"{p}\n" for p in pids))


def ensure(services: Sequence[Service], owner: int | None = None) -> dict[str, str]:
    """Start whatever is not running; return {env var: url}.

    owner=None (up/env): the instances become persistent. owner=pid (run):
    the pid is recorded as a user of instances that `run`s manage.
    """
    urls: dict[str, str] = {}
    for service in services:
        with locked(service.var):
            info = service.running()
            if info is None:
                info = service.start()
                _set_owners(service, None if owner is None else [owner])
            elif owner is None:
                _set_owners(service, None)
            elif service.owners_path.exists():
                _set_owners(service, [*_owners(service), owner])
            urls[service.env_var] = service.url(info[1])
    return urls


def release(services: Sequence[Service], owner: int) -> None:
    """Drop owner's claim; stop instances no live `run` uses any more."""
    for service in services:
        with locked(service.var):
            if not service.owners_path.exists():
                continue  # persistent, or never ours
            left = [p for p in _owners(service) if p != owner and pid_alive(p)]
            if left:
                _set_owners(service, left)
            else:
                service.stop()
                _set_owners(service, None)


def stop_all() -> None:
    for service in all_services():
        with locked(service.var):
            service.stop()
            _set_owners(service, None)
