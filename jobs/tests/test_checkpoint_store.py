"""Checkpoints are append-only: each finished part is written once, a resume reads them all back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.checkpoint_store import CheckpointSaver, checkpoint_load, checkpoint_save, checkpoint_usage
from jobs.models import CheckpointPart, GenerationJob, JobRuntime

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(owner):
    job = GenerationJob.objects.create(user=owner, production_brief={"production_type": "novel"})
    JobRuntime.objects.create(job=job)
    return job


def _call(i: int) -> dict:
    return {"stage": "sequential_generation", "tier": "gpt4", "model": "m", "prompt_tokens": 100 + i,
            "completion_tokens": 50, "cost_usd": 0.01, "latency_s": 0.0}  # fmt: skip


def _checkpoint(n: int) -> dict:
    return {
        "version": 1,
        "engine": "openai",
        "completed_stages": ["brief_interpretation"],
        "plan": {"segments": [{"index": i} for i in range(10)]},
        "drafts": [f"Segment {i} " + "words " * 200 for i in range(n)],
        "styled": [f"Styled {i}" for i in range(max(n - 1, 0))],
        "model_calls": [_call(i) for i in range(n)],
        "summaries": [f"Summary of segment {i}: " + "what happened " * 20 for i in range(n)],
        "segment_notes": [{"segment": i + 1, "asked": 1200, "got": 1180 + i} for i in range(n)],
        "coherence": None if n < 25 else {"issues": [{"segment": s, "note": "x" * 300} for s in range(20)]},
        "review": None,
        "ledger": {"facts": {}, "dead": []},
    }


def _written_bytes(ctx) -> int:
    return sum(len(str(q["sql"])) for q in ctx.captured_queries)


def test_each_part_is_written_once_and_a_resume_reads_the_same_checkpoint(job):
    saver = CheckpointSaver(job.pk, min_interval=0)
    saver.spent_usd = 1.0  # paid work: every offer is written
    sizes = []
    for n in range(1, 31):
        with CaptureQueriesContext(connection) as ctx:
            saver.offer(_checkpoint(n))
        sizes.append(_written_bytes(ctx))
    # Writing segment 30 costs what writing segment 2 did: nothing grows with the run.
    assert sizes[-1] < sizes[1] * 1.5, sizes
    assert CheckpointPart.objects.filter(job=job, kind="drafts").count() == 30
    assert checkpoint_load(job.pk) == _checkpoint(30)
    header = JobRuntime.objects.get(pk=job.pk).checkpoint
    assert header["drafts"] == {"$rows": 30} and "Segment" not in str(header)
    assert header["plan"] == {"$rows": 1, "$whole": True}  # written once, not with every segment
    assert CheckpointPart.objects.filter(job=job, kind="plan").count() == 1
    assert checkpoint_usage(header).cost_usd == pytest.approx(0.30)


def test_the_header_stays_the_same_size_however_long_the_run(job):
    """Issue 18 §3: summaries and segment notes grew the header by ~300 B a segment (~130 KB by the
    end of a saga, rewritten at each save); the coherence report is written once, as a part."""
    saver = CheckpointSaver(job.pk, min_interval=0)
    saver.spent_usd = 1.0
    headers = []
    for n in range(1, 31):
        saver.offer(_checkpoint(n))
        headers.append(len(str(JobRuntime.objects.get(pk=job.pk).checkpoint)))
    assert headers[-1] <= headers[1] + 20, headers  # only the digits of the counts grow
    header = JobRuntime.objects.get(pk=job.pk).checkpoint
    assert header["summaries"] == {"$rows": 30} and header["segment_notes"] == {"$rows": 30}
    assert header["coherence"] == {"$rows": 1, "$whole": True}
    assert CheckpointPart.objects.filter(job=job, kind="coherence").count() == 1
    assert checkpoint_load(job.pk) == _checkpoint(30)


def test_a_changed_part_is_rewritten_and_a_shorter_checkpoint_hides_later_parts(job):
    written = checkpoint_save(job.pk, _checkpoint(5))
    changed = _checkpoint(5)
    changed["drafts"][2] = "Rewritten"
    written = checkpoint_save(job.pk, changed, written=written)
    assert checkpoint_load(job.pk)["drafts"][2] == "Rewritten"
    checkpoint_save(job.pk, _checkpoint(3))  # a fresh saver after a resume from an earlier point
    assert checkpoint_load(job.pk) == _checkpoint(3)


def test_a_checkpoint_stored_whole_is_read_as_it_is(job):
    JobRuntime.objects.filter(pk=job.pk).update(checkpoint=_checkpoint(4))  # as job_fail stores one
    assert checkpoint_load(job.pk) == _checkpoint(4)


def test_missing_parts_are_reported_not_silently_dropped(job):
    checkpoint_save(job.pk, _checkpoint(4))
    CheckpointPart.objects.filter(job=job, kind="drafts", index=1).delete()
    with pytest.raises(ValueError, match="drafts has 3 of 4 parts"):
        checkpoint_load(job.pk)
