"""`make run`: migrate, ensure the demo account, then a web server and an RQ worker.

Ctrl-C (or SIGTERM) stops both children; if either dies the other is
stopped too, so nothing is left running behind the terminal.
"""

import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development stack: migrations, demo account, web server and one RQ worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Serve the web app only.")

    def handle(self, *args, addrport: str, no_worker: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=1)
        call_command("ensure_demo")
        manage = [sys.executable, "manage.py"]
        children = [subprocess.Popen([*manage, "runserver", addrport, "--noreload"])]
        if not no_worker:
            children.append(subprocess.Popen([*manage, "rqworker", "high", "default", "--with-scheduler"]))
            # The cron scheduler (billing's monthly reset and expiry; the orphan reaper) is its own process.
            children.append(subprocess.Popen([*manage, "rqcron", "jobs.cron"]))
        self.stdout.write(self.style.SUCCESS(f"NarraForge is on http://{addrport}/ — Ctrl-C stops it."))
        self.stdout.write(f"Mail it sends (verification, password reset) is at http://{addrport}/dev/mail/")

        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.3)
        finally:
            # SIGTERM: runserver exits at once (it may sit out a SIGINT), and for an RQ
            # worker that already got the terminal's Ctrl-C it means "stop now".
            for child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Stopped.")
