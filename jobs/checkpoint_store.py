"""Pipeline checkpoints: a small header in ``generation_job_runtime`` plus append-only parts.

A checkpoint is the engine's own dict (finished stages, the plan, finished
segments, the model calls so far). Its growing lists — ``drafts``, ``styled``,
``model_calls``, ``summaries``, ``segment_notes`` — are stored one element per row in
``generation_job_checkpoint_parts`` and written once each: a save writes the
elements that are new (or changed) since this saver's last save, and a header
(everything else, each list replaced by ``{"$rows": n}``, plus the spend per
tier) in the same statement. A saga's checkpoints are then linear in its
length instead of quadratic. ``checkpoint_load`` reads a header and its parts
back into the engine's dict; a header that still holds its lists inline (as
``job_fail`` stores the checkpoint an attempt ended with) is read as it is.
``CheckpointSaver`` decides *when* to write: at
once whenever money was spent since the last stored checkpoint (so a killed
worker never loses paid work), otherwise at most once a second (the offline
engine redoes a second of free work rather than slowing every run down).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.db import connection
from django.utils import timezone

from jobs.db_retry import with_db_retry
from jobs.models import CheckpointPart, JobRuntime
from jobs.pipeline.usage import Ledger, ModelCall, Usage

# One element per segment or call: the header would otherwise grow with every segment (a
# saga's summaries and segment notes reached ~130 KB, rewritten at each of 400 saves).
PART_KEYS = ("drafts", "styled", "model_calls", "summaries", "segment_notes")
# Written whole as one part, and only when it changed: the plan (~100 KB for a saga) is
# fixed once planning is done, the coherence report (~13 KB for a novel) and the review
# once their stages end, so none of them is rewritten with every segment.
WHOLE_KEYS = ("plan", "coherence", "review")
ROWS = "$rows"
WHOLE = "$whole"
USAGE_KEY = "$usage"  # in a saver's ``written``: (calls summed, their Usage)

# One statement, one round trip: the new parts and the header. It commits without waiting
# for the WAL flush: a checkpoint guards against a lost *worker* (the spend is recorded
# apart from it); only a PostgreSQL crash could drop the last fraction of a second of them.
_SAVE_SQL = """
WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
parts AS (
    INSERT INTO generation_job_checkpoint_parts (job_id, kind, index, body)
    SELECT %(job)s, kind, index, body
      FROM unnest(%(kinds)s::text[], %(indexes)s::int[], %(bodies)s::text[]) AS p(kind, index, body)
    ON CONFLICT (job_id, kind, index) DO UPDATE SET body = EXCLUDED.body
)
UPDATE generation_job_runtime
   SET checkpoint = %(header)s::json, checkpoint_stage = %(stage)s, checkpoint_saved_at = %(now)s
  FROM async_commit
 WHERE job_id = %(job)s
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def checkpoint_header(checkpoint: dict[str, Any], *, usage: Usage | None = None) -> dict[str, Any]:
    """The checkpoint without its part lists (counted instead), with its spend per tier.

    ``usage`` is that spend when the caller has it already (summed as calls came in).
    """
    header = {k: v for k, v in checkpoint.items() if k not in PART_KEYS and k not in WHOLE_KEYS}
    for key in PART_KEYS:
        if isinstance(checkpoint.get(key), list):
            header[key] = {ROWS: len(checkpoint[key])}
    for key in WHOLE_KEYS:
        if key in checkpoint:
            header[key] = {ROWS: 1, WHOLE: True}
    if isinstance(checkpoint.get("model_calls"), list) and "usage_by_tier" not in header:
        header["usage_by_tier"] = (usage if usage is not None else checkpoint_usage(checkpoint)).to_dict()
    return header


def checkpoint_save(
    job_id: str,
    checkpoint: dict[str, Any],
    *,
    stage: str = "",
    written: dict[str, list[Any]] | None = None,
) -> dict[str, list[Any]]:
    """Store a checkpoint: its new parts and its header, in one statement.

    ``written`` is what this caller stored before (per part list, the elements
    by index); only elements that are new or differ from it are written.
    Returns the new ``written``.
    """
    written = written or {}
    kinds: list[str] = []
    indexes: list[int] = []
    bodies: list[str] = []
    usage = None
    calls = checkpoint.get("model_calls")
    if isinstance(calls, list) and USAGE_KEY in written:
        # Add the new calls to the spend summed at the last save (not all calls again each time).
        counted, usage = written[USAGE_KEY]
        usage = usage + checkpoint_usage({"model_calls": calls[counted:]})
    for key, items in _part_lists(checkpoint).items():
        before = written.get(key, [])
        if key == "model_calls" and any(  # an earlier call changed: sum them all again
            i < len(before) and not (before[i] is item or before[i] == item) for i, item in enumerate(items)
        ):
            usage = None
        for i, item in enumerate(items):
            if i < len(before) and (before[i] is item or before[i] == item):
                continue
            kinds.append(key)
            indexes.append(i)
            bodies.append(_dumps(item))
    if isinstance(calls, list) and usage is None:
        usage = checkpoint_usage({"model_calls": calls})
    header = _dumps(checkpoint_header(checkpoint, usage=usage))

    params = {"job": job_id, "kinds": kinds, "indexes": indexes, "bodies": bodies, "header": header,
              "stage": stage[:100], "now": timezone.now()}  # fmt: skip

    def _save() -> None:
        # One statement is atomic on its own: parts and header land together, in one round trip.
        with connection.cursor() as cursor:
            cursor.execute(_SAVE_SQL, params)

    with_db_retry(_save, what=f"checkpoint of job {job_id}")
    done: dict[str, Any] = {key: list(items) for key, items in _part_lists(checkpoint).items()}
    if isinstance(calls, list):
        done[USAGE_KEY] = (len(calls), usage)
    return done


def _part_lists(checkpoint: dict[str, Any]) -> dict[str, list[Any]]:
    lists = {key: checkpoint[key] for key in PART_KEYS if isinstance(checkpoint.get(key), list)}
    lists.update({key: [checkpoint[key]] for key in WHOLE_KEYS if key in checkpoint})
    return lists


def checkpoint_assemble(job_id: str, header: dict[str, Any] | None) -> dict[str, Any] | None:
    """The engine's checkpoint dict from a stored header and its parts."""
    if not isinstance(header, dict):
        return header
    counted = {
        key: value[ROWS]
        for key in (*PART_KEYS, *WHOLE_KEYS)
        if isinstance(value := header.get(key), dict) and isinstance(value.get(ROWS), int)
    }
    if not counted:
        return header  # lists inline (or none): stored whole
    checkpoint = {k: v for k, v in header.items() if k != "usage_by_tier"}
    parts: dict[str, list[Any]] = {key: [] for key in counted}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, index, body FROM generation_job_checkpoint_parts "
            "WHERE job_id = %s AND kind = ANY(%s) ORDER BY kind, index",
            [job_id, list(counted)],
        )
        for kind, index, body in cursor.fetchall():
            if index < counted[kind]:
                parts[kind].append(json.loads(body))
    for key, count in counted.items():
        if len(parts[key]) != count:
            raise ValueError(f"checkpoint of job {job_id}: {key} has {len(parts[key])} of {count} parts")
        whole = isinstance(header.get(key), dict) and header[key].get(WHOLE)
        checkpoint[key] = parts[key][0] if whole else parts[key]
    return checkpoint


def checkpoint_load(job_id: str) -> dict[str, Any] | None:
    header = JobRuntime.objects.filter(pk=job_id).values_list("checkpoint", flat=True).first()
    return checkpoint_assemble(job_id, header)


def checkpoint_discard_parts(job_id: str) -> None:
    """Drop a finished job's parts (its header is cleared by the caller)."""
    CheckpointPart.objects.filter(job_id=job_id).delete()


def checkpoint_exists(job_id: str) -> bool:
    return JobRuntime.objects.filter(pk=job_id, checkpoint__isnull=False).exists()


def checkpoint_usage(checkpoint: dict[str, Any] | None) -> Usage:
    """The spend a checkpoint carries (its model calls), per tier."""
    if not checkpoint:
        return Usage()
    if isinstance(checkpoint.get("usage_by_tier"), dict):
        return Usage.from_dict(checkpoint["usage_by_tier"])
    calls = checkpoint.get("calls") or checkpoint.get("model_calls") or []
    return Ledger([c if isinstance(c, ModelCall) else ModelCall.from_dict(c) for c in calls]).usage()


def checkpoint_stage_of(checkpoint: dict[str, Any]) -> str:
    """A short description of how far a checkpoint got, for the admin and logs."""
    stages = checkpoint.get("completed_stages") or []
    last = stages[-1] if stages else "start"
    drafts, styled = len(checkpoint.get("drafts") or []), len(checkpoint.get("styled") or [])
    extra = f"; {drafts} drafted, {styled} stylised" if drafts or styled else ""
    return f"{last}{extra}"[:100]


class CheckpointSaver:
    """Stores checkpoints of one run, eagerly when money is at stake."""

    def __init__(self, job_id: str, *, min_interval: float = 1.0) -> None:
        self.job_id = job_id
        self.min_interval = min_interval
        self._last_write = time.monotonic()
        self._saved_cost = 0.0
        self.pending: dict[str, Any] | None = None
        self.spent_usd = 0.0  # updated by the runner from model calls
        self._written: dict[str, list[Any]] = {}  # the parts stored so far, by list and index
        self.seconds = 0.0  # time spent storing checkpoints (the saga bench reports its share)
        self.writes = 0

    def offer(self, checkpoint: dict[str, Any]) -> None:
        now = time.monotonic()
        paid = self.spent_usd > self._saved_cost + 1e-12
        if paid or now - self._last_write >= self.min_interval:
            self._write(checkpoint, now)
        else:
            self.pending = checkpoint

    def flush(self, checkpoint: dict[str, Any] | None = None) -> None:
        latest = checkpoint or self.pending
        if latest is not None:
            self._write(latest, time.monotonic())

    def _write(self, checkpoint: dict[str, Any], now: float) -> None:
        self.pending = checkpoint  # if the write fails, the run's ending stores it
        started = time.perf_counter()
        self._written = checkpoint_save(
            self.job_id, checkpoint, stage=checkpoint_stage_of(checkpoint), written=self._written
        )
        self.seconds += time.perf_counter() - started
        self.writes += 1
        self._last_write = now
        self._saved_cost = self.spent_usd
        self.pending = None
