"""Spend that is never lost: every model call's tokens recorded before anything else can fail.

``SpendRecorder`` is the worker's side. The engine reports a call about to
start (``call_started``: its prompt, priced — what a provider may bill even if
we never read the answer) and each answer or abandoned attempt
(``call_returned``). For a paid backend each report is written at once to the
attempt's ``generation_job_spend`` row, and the pipeline waits for that write:
when PostgreSQL is away the recorder holds the record and retries for as long
as it takes (no fixed window — the job's RQ timeout is the only bound), so the
next call never starts with the last one unrecorded. Free calls (the offline
engine) are kept in memory and written with the attempt's ending.

Billing reads ``spend_total``: the sum of every attempt's row, plus the prompt
of a call that was in flight when its worker died. A row is written whether
or not the attempt still owns the job; an attempt that finds it lost the job
(``jobs.completion.job_bill_late_spend``) bills the difference itself if the job has ended.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connection

from jobs.models import JobSpend
from jobs.pipeline.usage import TierUsage, Usage

log = logging.getLogger(__name__)


def spend_write(job_id: str, attempt: str, usage: Usage, in_flight: dict[str, Any] | None) -> None:
    """Upsert one attempt's row (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO generation_job_spend (job_id, attempt, usage, in_flight, updated_at)"
            " VALUES (%s, %s, %s::jsonb, %s::jsonb, now())"
            " ON CONFLICT (job_id, attempt) DO UPDATE"
            " SET usage = EXCLUDED.usage, in_flight = EXCLUDED.in_flight, updated_at = now()",
            [job_id, attempt, json.dumps(usage.to_dict()), json.dumps(in_flight) if in_flight else None],
        )


def spend_total(job_id: str) -> Usage | None:
    """Every attempt's spend summed per tier, in-flight prompts included; None when no row exists."""
    rows = list(JobSpend.objects.filter(job_id=job_id).values_list("usage", "in_flight"))
    if not rows:
        return None
    total = Usage()
    for usage, in_flight in rows:
        total = total + Usage.from_dict(usage)
        if in_flight:  # the worker died mid-call: its prompt was sent, so it may have been billed
            sent = TierUsage(int(in_flight.get("prompt_tokens", 0)), 0, float(in_flight.get("cost_usd", 0.0)))
            total = total + Usage({in_flight["tier"]: sent})
    return total


class SpendRecorder:
    """The attempt's own spend (only calls it made; checkpoint calls are earlier attempts' rows)."""

    def __init__(self, job_id: str, attempt: str, *, paid: bool, retry_pause: float = 0.2) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.paid = paid  # write every report at once (a model backend) or at the ending (offline)
        self.usage = Usage()
        self.in_flight: dict[str, Any] | None = None
        self.retry_pause = retry_pause
        self.writes = 0
        self.held_seconds = 0.0  # time spent holding a record while the database was away

    def call_started(self, tier: str, prompt_tokens: int, cost_usd: float) -> None:
        if not self.paid:
            return
        self.in_flight = {"tier": tier, "prompt_tokens": int(prompt_tokens), "cost_usd": round(cost_usd, 9)}
        self.flush()

    def call_returned(self, tier: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        self.usage = self.usage + Usage(
            {tier: TierUsage(int(prompt_tokens), int(completion_tokens), cost_usd)}
        )
        if not self.paid:
            return
        self.in_flight = None
        self.flush()

    def call_failed(self) -> None:
        """The call raised: its attempts were reported (answered or abandoned); nothing is in flight."""
        self.in_flight = None

    def flush(self) -> None:
        """Write this attempt's row; while the database is away, hold the record and keep trying."""
        started = time.monotonic()
        pause = 0.05
        while True:
            try:
                spend_write(self.job_id, self.attempt, self.usage, self.in_flight)
                self.writes += 1
                break
            except (OperationalError, InterfaceError) as exc:
                if connection.in_atomic_block:
                    raise
                if pause == 0.05:
                    log.warning(
                        "Job %s: database away (%s); holding the spend record until it returns.",
                        self.job_id,
                        exc,
                    )
                with contextlib.suppress(Exception):  # a broken connection may fail to close
                    connection.close()
                time.sleep(pause)
                pause = min(pause * 2, self.retry_pause * 5)
        self.held_seconds += time.monotonic() - started
