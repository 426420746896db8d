"""Process, port, pidfile and lock helpers shared by the embedded services.

Deliberately stdlib-only (no Django, no psutil): this runs before the
project's environment is known to be complete, e.g. right after a clone.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, ClassVar

ROOT = Path(__file__).resolve().parents[2]


class DevServiceError(RuntimeError):
    """A failure worth one clear line to the operator (no traceback)."""


def var_dir() -> Path:
    # NF_VAR_DIR exists for the tests, which must not touch the real ./var.
    return Path(os.environ.get("NF_VAR_DIR") or ROOT / "var").resolve()


def settings_env() -> dict[str, str]:
    """The environment as settings.py sees it: os.environ over the `.env` file."""
    path = Path(os.environ.get("NF_ENV_FILE") or ROOT / ".env")
    values: dict[str, str] = {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        line = line.strip().removeprefix("export ").strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    values.update(os.environ)
    return values


def clean_env() -> dict[str, str]:
    # PGHOST/PGPORT/PGDATA... in the caller's shell must not redirect our tools.
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def timeout() -> float:
    return float(os.environ.get("NF_DEVSERVICES_TIMEOUT") or 60)


def pid_alive(pid: int) -> bool:
    try:
        # Reap it if it is our own exited child: a zombie still answers kill(0).
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    # A zombie (exited, not yet reaped by its parent, e.g. a slow init) is dead to us.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def cmdline(pid: int) -> str:
    if Path("/proc/self").exists():
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""
    out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True)
    return out.stdout


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        # SO_REUSEADDR: a TIME_WAIT leftover is fine, only a live listener is a conflict.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join("    " + line for line in tail)


@contextmanager
def locked(var: Path) -> Iterator[None]:
    """Serialise start/stop/refcount changes between concurrent invocations."""
    (var / "run").mkdir(parents=True, exist_ok=True)
    with open(var / "run" / "devservices.lock", "a") as fh:  # not inherited by children
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block is done, then raise KeyboardInterrupt.

    (Python handlers, unlike blocked or ignored signals, are not inherited by children.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda signum, _frame: caught.append(signum)) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        raise KeyboardInterrupt


def say(message: str) -> None:
    print(f"devservices: {message}", file=sys.stderr, flush=True)


class Service:
    """One server process under var/, found again through its pidfile."""

    name: ClassVar[str]
    label: ClassVar[str]
    env_var: ClassVar[str]
    port_var: ClassVar[str]
    default_port: ClassVar[int]
    marker: str  # must appear in the process's command line
    stop_signal: ClassVar[signal.Signals]

    def __init__(self, var: Path) -> None:
        self.var = var
        self.port = int(os.environ.get(self.port_var) or self.default_port)
        self.log_path = var / "log" / f"{self.name}.log"
        self.owners_path = var / "run" / f"{self.name}.owners"
        self.pidfile = var / self.name / "pid"

    # -- what subclasses provide ------------------------------------------
    def configured(self, env: Mapping[str, str]) -> bool:
        return bool(env.get(self.env_var))

    def url(self, port: int) -> str:
        raise NotImplementedError

    def read_pidfile(self) -> tuple[int, int]:
        pid, port = self.pidfile.read_text().split()[:2]
        return int(pid), int(port)

    def prepare(self, log: IO[bytes]) -> None:
        """Locate binaries, create the data directory (before the port check)."""

    def launch(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def ready(self, port: int) -> bool:
        raise NotImplementedError

    def after_start(self, port: int) -> None:
        pass

    def clear_stale(self) -> None:
        """Called when running() found no live instance behind the pidfile."""
        self.pidfile.unlink(missing_ok=True)

    # -- shared lifecycle ---------------------------------------------------
    def running(self) -> tuple[int, int] | None:
        """(pid, port) of a live instance, or None (a stale pidfile counts as none)."""
        try:
            pid, port = self.read_pidfile()
        except (OSError, ValueError, IndexError):
            return None
        # The pid may have been recycled after a crash or container restart.
        if pid_alive(pid) and self.marker in cmdline(pid):
            return pid, port
        return None

    def start(self) -> tuple[int, int]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.prepare(log)
            if not port_free(self.port):
                raise DevServiceError(
                    f"port {self.port} on 127.0.0.1 is in use by another program, so {self.label} "
                    f"cannot start; stop that program or set {self.port_var} to a free port"
                )
            self.clear_stale()
            say(f"starting {self.label} on 127.0.0.1:{self.port} (log: {self.log_path})")
            began = time.monotonic()
            proc: subprocess.Popen[bytes] | None = None
            try:
                with deferred_interrupts():  # a Ctrl-C inside Popen would lose the new server's pid
                    proc = self.launch(log)
            except BaseException:
                self._abort(proc)
                raise
        try:
            while not self.ready(self.port):
                if proc.poll() is not None:
                    raise DevServiceError(
                        f"{self.label} exited with code {proc.returncode} while starting; "
                        f"see {self.log_path}:\n{log_tail(self.log_path)}"
                    )
                if time.monotonic() - began > timeout():
                    raise DevServiceError(
                        f"{self.label} did not accept connections within {timeout():.0f}s "
                        f"(NF_DEVSERVICES_TIMEOUT); see {self.log_path}:\n{log_tail(self.log_path)}"
                    )
                time.sleep(0.05)
            self.after_start(self.port)
        except BaseException:  # incl. Ctrl-C: no half-started server left behind
            self._abort(proc)
            raise
        say(f"{self.label} ready in {time.monotonic() - began:.1f}s")
        return proc.pid, self.port

    def _abort(self, proc: subprocess.Popen[bytes] | None) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(self.stop_signal)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.clear_stale()

    def stop(self) -> bool:
        info = self.running()
        if info is None:
            return False
        pid = info[0]
        say(f"stopping {self.label} (pid {pid})")
        for sig, grace in ((self.stop_signal, 30.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not pid_alive(pid):
                break
            say(f"{self.label} ignored {sig.name} for {grace:.0f}s; escalating")
        self.clear_stale()
        return True
