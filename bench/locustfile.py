"""Locust users for bench/bench_load.py: signed-in writers reading their own pages.

Not run on its own: bench_load.py seeds a scratch database, writes the users'
session cookies and object ids to the JSON file named by NF_BENCH_USERS, and
starts ``locust --headless -f bench/locustfile.py`` against gunicorn on 127.0.0.1.

Each simulated user takes one seeded account and, with a short think time,
opens the dashboard, the library, the reader of one of its narratives (some
are novel-length), the page of a running job and — most often — polls that
job's htmx progress partial, as the job page does every few seconds.
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, between, task

with open(os.environ["NF_BENCH_USERS"]) as fh:
    ACCOUNTS = json.load(fh)
_next_account = itertools.cycle(ACCOUNTS)
THINK = [float(x) for x in os.environ.get("NF_BENCH_THINK", "0.1,0.5").split(",")]


class Writer(FastHttpUser):
    wait_time = between(*THINK)

    def on_start(self) -> None:
        self.account = next(_next_account)
        # The session cookie is Secure in production: a TLS proxy would carry it; we send it ourselves
        # and say what the proxy would (X-Forwarded-Proto, honoured through SECURE_PROXY_SSL_HEADER).
        self.headers = {"Cookie": f"sessionid={self.account['session']}", "X-Forwarded-Proto": "https"}

    def _get(self, path: str, name: str, **headers: str) -> None:
        with self.client.get(
            path, headers={**self.headers, **headers}, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:  # a redirect (to the login page) is a failure too
                response.failure(f"HTTP {response.status_code}")

    @task(2)
    def dashboard(self) -> None:
        self._get("/", "dashboard")

    @task(2)
    def library(self) -> None:
        self._get("/narratives/", "library")

    @task(3)
    def reader(self) -> None:
        self._get(f"/narratives/{random.choice(self.account['narratives'])}/", "reader")

    @task(1)
    def job_page(self) -> None:
        self._get(f"/jobs/{self.account['job']}/", "job page")

    @task(4)
    def job_progress(self) -> None:
        self._get(f"/jobs/{self.account['job']}/progress/", "job progress (htmx)", **{"HX-Request": "true"})
