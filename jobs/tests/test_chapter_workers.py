"""Chapter jobs through real `rqworker` processes: the offline engine and a model behind the local
wire-format server (``jobs.pipeline.testing.FakeChatServer``)."""

from __future__ import annotations

import pytest

from billing.models import UsageLog
from jobs.chapter_services import (
    job_create_chapter_revision,
    job_create_continuation,
    job_create_regeneration,
)
from jobs.models import GenerationJob, JobStatus
from jobs.pipeline import chapters_from_text
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF, wait_for
from narratives.chapters import chapter_spans
from narratives.models import Narrative

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(job_id):
    job = GenerationJob.objects.get(pk=job_id)
    return job if job.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED) else None


def _done(job, what: str) -> Narrative:
    job = wait_for(lambda: _finished(job.pk), timeout=60, what=what)
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.progress_percentage == 100.0
    narrative = Narrative.objects.get(job=job)
    assert job.output["narrative_id"] == narrative.pk and job.output["version"] == narrative.version
    return narrative


def _slices(narrative: Narrative) -> list[str]:
    return [s.slice(narrative.narrative_text) for s in chapter_spans(narrative.narrative_text)]


def test_an_offline_worker_regenerates_one_chapter_then_continues_the_story(owner, project, workers):
    workers.start()
    book = _done(job_create(user=owner, project=project, brief=SHORT_BRIEF), "the first version")
    v2 = _done(job_create_regeneration(user=owner, narrative=book, chapter=3), "the regeneration")
    assert v2.version == 2 and v2.parent_narrative_id == book.pk
    assert _slices(v2)[:2] == _slices(book)[:2] and _slices(v2)[2] != _slices(book)[2]
    v3 = _done(job_create_continuation(user=owner, narrative=v2, chapters=1), "the continuation")
    assert v3.narrative_text.startswith(v2.narrative_text.rstrip("\n"))
    assert len(chapters_from_text(v3.narrative_text)) == len(_slices(v2)) + 1
    owner.refresh_from_db()
    assert owner.monthly_generations_used == 3  # the book, and one per chapter job
    assert [log.operation_type for log in UsageLog.objects.filter(job__in=[v2.job, v3.job])] == [
        "revision"
    ] * 2


def test_a_model_revises_a_chapter_with_its_neighbours_and_instructions_in_the_prompt_and_bills_it(
    owner, project, workers, fake_llm, settings
):
    workers.start()
    book = _done(job_create(user=owner, project=project, brief=SHORT_BRIEF), "the offline first version")
    chapters = chapters_from_text(book.narrative_text)
    workers.stop_all()
    settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = (
        "openai",
        "test-key",
        fake_llm.base_url,
    )
    workers.start(env=fake_llm.worker_env)
    job = job_create_chapter_revision(
        user=owner, narrative=book, instructions="Rename the harbour to Saltmere.", chapters=[2]
    )
    v2 = _done(job, "the revision by the model")
    assert _slices(v2)[0] == _slices(book)[0] and _slices(v2)[2:] == _slices(book)[2:]
    assert _slices(v2)[1] != _slices(book)[1]
    drafting = [r for r in fake_llm.requests if "Write segment 2 now" in r["messages"][-1]["content"]]
    assert drafting, "chapter 2 was drafted by the model"
    prompt = drafting[0]["messages"][-1]["content"]
    assert "Rename the harbour to Saltmere." in prompt
    assert "THE NEXT SEGMENT BEGINS" in prompt and chapters[2].body.split()[0] in prompt
    assert chapters[0].body.split()[-1].strip(".") in prompt  # the tail of chapter 1
    assert v2.metadata["revision"]["engine"] == "openai" and v2.metadata["revision"]["chapters"] == [2]
    logs = UsageLog.objects.filter(job=v2.job)
    assert sum(log.tokens_used for log in logs) == fake_llm.reported_tokens()


def test_a_model_plans_and_writes_the_continuation(owner, project, workers, fake_llm, settings):
    workers.start()
    book = _done(job_create(user=owner, project=project, brief=SHORT_BRIEF), "the offline first version")
    workers.stop_all()
    settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = (
        "openai",
        "test-key",
        fake_llm.base_url,
    )
    workers.start(env=fake_llm.worker_env)
    v2 = _done(
        job_create_continuation(user=owner, narrative=book, chapters=2, instructions="A storm."),
        "continuation",
    )
    n = len(_slices(book))
    assert _slices(v2)[: n - 1] == _slices(book)[: n - 1]
    assert len(_slices(v2)) == n + 2
    planning = [r for r in fake_llm.requests if "Plan segments" in r["messages"][-1]["content"]]
    assert planning and "The story so far" in planning[0]["messages"][-1]["content"]
    assert "A storm." in planning[0]["messages"][-1]["content"]
