"""CLI: python -m narraforge.devservices {env,run,up,down,status}.

env            start what is not configured; print `export VAR=url` lines
               (use: eval "$(python -m narraforge.devservices env)")
run -- CMD...  same, run CMD with the URLs in its environment, stop what
               this run started once CMD exits; exit with CMD's code
up / down      start (persistently) / stop the embedded services
status         what is running, on which port
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
from types import FrameType

from . import DevServiceError, all_services, embedded_services, ensure, release, stop_all
from ._core import settings_env


def _terminal_sent_it() -> bool:
    """True if we are in the terminal's foreground group: then its Ctrl-C reached CMD too."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_run(command: list[str]) -> int:
    services = embedded_services()
    me = os.getpid()
    try:
        env = {**os.environ, **ensure(services, owner=me)}
        child = subprocess.Popen(command, env=env)
    except BaseException as exc:
        release(services, me)
        if isinstance(exc, OSError):
            raise DevServiceError(f"cannot run {command[0]!r}: {exc.strerror}") from exc
        raise

    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_sent_it():
            return  # don't deliver Ctrl-C twice
        child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = child.wait()
    finally:
        release(services, me)
    return 128 - code if code < 0 else code  # killed by signal N -> 128+N, as shells report


def cmd_status() -> int:
    env = settings_env()
    for service in all_services():
        info = service.running()
        state = f"running, pid {info[0]}, {service.url(info[1])}" if info else "stopped"
        note = " (not used: configured in the environment)" if service.configured(env) else ""
        print(f"{service.label}: {state}{note}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m narraforge.devservices",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    for name in ("env", "up", "down", "status"):
        sub.add_parser(name)
    run = sub.add_parser("run")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = parser.parse_args(argv)
    # Until `run` forwards them, SIGTERM/SIGHUP unwind like Ctrl-C so that
    # nothing is left half-started.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        if args.action == "run":
            command = args.command[1:] if args.command[:1] == ["--"] else args.command
            if not command:
                parser.error("run needs a command: run -- CMD ARGS...")
            return cmd_run(command)
        if args.action == "env":
            for var, url in ensure(embedded_services()).items():
                print(f"export {var}={shlex.quote(url)}")
            return 0
        if args.action == "up":
            ensure(embedded_services())
            return cmd_status()
        if args.action == "down":
            stop_all()
            return 0
        return cmd_status()
    except DevServiceError as exc:
        print(f"devservices: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. var/ not writable: one line, not a traceback
        print(f"devservices: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("devservices: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
