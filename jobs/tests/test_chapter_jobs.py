"""Chapter jobs (regenerate, continue, revise chosen chapters) through their services and task body.

The task body (``jobs.attempt.run_job``) runs in this process on the job row the
service stored; the worker tests (``test_chapter_workers``) run the same jobs
through real ``rqworker`` processes.
"""

from __future__ import annotations

import pytest

from billing.models import UsageLog
from billing.services import LimitExceeded
from jobs.attempt import run_job
from jobs.chapter_services import (
    job_create_chapter_revision,
    job_create_continuation,
    job_create_regeneration,
)
from jobs.errors import JobError
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.pipeline import chapters_from_text
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF
from narratives.chapters import chapter_spans
from narratives.models import Narrative

# Committed rows: the task body's heartbeat thread writes through its own database connection.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_conn")]


def _run(job: GenerationJob) -> GenerationJob:
    assert run_job(job.pk, job.rq_job_id) == JobStatus.COMPLETED, GenerationJob.objects.get(
        pk=job.pk
    ).error_message
    return GenerationJob.objects.get(pk=job.pk)


@pytest.fixture
def book(owner, project):
    """A real offline-engine narrative, version 1, made by a real job row."""
    job = _run(job_create(user=owner, project=project, brief=SHORT_BRIEF))
    return Narrative.objects.get(job=job)


def _result(job: GenerationJob) -> Narrative:
    return Narrative.objects.get(job=job)


def _slices(narrative: Narrative) -> list[str]:
    text = narrative.narrative_text
    return [span.slice(text) for span in chapter_spans(text)]


def test_regenerating_one_chapter_keeps_every_other_chapter_byte_identical(owner, book):
    assert len(_slices(book)) >= 3
    job = _run(job_create_regeneration(user=owner, narrative=book, chapter=2))
    new = _result(job)
    old_parts, new_parts = _slices(book), _slices(new)
    assert len(new_parts) == len(old_parts)
    assert new_parts[0] == old_parts[0] and new_parts[2:] == old_parts[2:]
    assert new_parts[1] != old_parts[1]
    assert chapters_from_text(new.narrative_text)[1].title == chapters_from_text(book.narrative_text)[1].title
    assert new.version == 2 and new.parent_narrative_id == book.pk
    assert new.metadata["revision"] == {
        "kind": "regenerate",
        "label": "Regenerated",
        "chapters": [2],
        "instructions": "",
        "engine": "offline",
    }


def test_a_chapter_job_keeps_the_title_the_writer_gave_the_version(owner, book):
    from narratives.services import narrative_rename

    narrative_rename(narrative=book, title="My Own Title")
    new = _result(_run(job_create_regeneration(user=owner, narrative=book, chapter=1)))
    assert new.title == "My Own Title"


def test_regenerating_with_instructions_keeps_them_with_the_version(owner, book):
    job = _run(
        job_create_regeneration(user=owner, narrative=book, chapter=1, instructions="More dialogue, please.")
    )
    new = _result(job)
    assert new.metadata["revision"]["instructions"] == "More dialogue, please."
    assert new.metadata["revision_instructions"] == "More dialogue, please."
    assert _slices(new)[1:] == _slices(book)[1:]


def test_revising_chosen_chapters_changes_only_those_and_keeps_the_instructions(owner, book):
    n = len(_slices(book))
    job = _run(
        job_create_chapter_revision(
            user=owner, narrative=book, instructions="Darker, more tense.", chapters=[1, n]
        )
    )
    new = _result(job)
    old_parts, new_parts = _slices(book), _slices(new)
    assert new_parts[1:-1] == old_parts[1:-1]
    assert new_parts[0] != old_parts[0] and new_parts[-1] != old_parts[-1]
    assert new.metadata["revision"]["chapters"] == [1, n]
    assert new.metadata["revision"]["instructions"] == "Darker, more tense."
    assert UsageLog.objects.get(job=job).operation_type == "revision"


def test_continuing_adds_chapters_after_the_last_and_keeps_the_book_before_them(owner, book):
    n = len(_slices(book))
    job = _run(job_create_continuation(user=owner, narrative=book, chapters=2))
    new = _result(job)
    text, old = new.narrative_text, book.narrative_text
    assert text.startswith(old.rstrip("\n")), "the existing text is kept byte for byte"
    chapters = chapters_from_text(text)
    assert len(chapters) == n + 2
    titles = [c.title for c in chapters]
    assert len(set(titles)) == len(titles), titles
    assert all(len(c.body.split()) > 300 for c in chapters[n:])
    assert len(new.metadata["plan"]["segments"]) == n + 2
    assert new.metadata["revision"]["chapters"] == [n + 1, n + 2]
    assert new.word_count > book.word_count


def test_continuing_from_the_writers_plan_uses_their_titles_and_summaries(owner, book):
    plan = [
        {"title": "The Harbour Burns", "summary": "Mira Vell sees the harbour burn and runs for the boats."}
    ]
    job = _run(job_create_continuation(user=owner, narrative=book, chapters=1, new_segments=plan))
    new = _result(job)
    last = chapters_from_text(new.narrative_text)[-1]
    assert last.title == "The Harbour Burns"
    assert new.metadata["plan"]["segments"][-1]["summary"] == plan[0]["summary"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda u, n: job_create_regeneration(user=u, narrative=n, chapter=99), "Chapter 99 does not exist"),
        (lambda u, n: job_create_regeneration(user=u, narrative=n, chapter=0), "Chapter 0 does not exist"),
        (lambda u, n: job_create_continuation(user=u, narrative=n, chapters=0), "between 1 and 20"),
        (lambda u, n: job_create_continuation(user=u, narrative=n, chapters=21), "between 1 and 20"),
        (lambda u, n: job_create_chapter_revision(user=u, narrative=n, instructions="  "), "Say what"),
        (
            lambda u, n: job_create_chapter_revision(user=u, narrative=n, instructions="x", chapters=[]),
            "Tick",
        ),
        (
            lambda u, n: job_create_chapter_revision(user=u, narrative=n, instructions="x", chapters=["two"]),
            "not a chapter",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(owner, book, call, message):
    jobs = GenerationJob.objects.count()
    with pytest.raises(JobError, match=message):
        call(owner, book)
    assert GenerationJob.objects.count() == jobs
    assert Narrative.objects.count() == 1


def test_another_users_narrative_is_refused(other_user, book):
    with pytest.raises(JobError, match="does not exist or is not yours"):
        job_create_regeneration(user=other_user, narrative=book, chapter=1)
    assert GenerationJob.objects.filter(user=other_user).count() == 0


def test_a_stale_version_is_refused_unless_the_writer_branches(owner, book):
    _run(job_create_regeneration(user=owner, narrative=book, chapter=1))
    with pytest.raises(JobError, match="Version 2 was already made from this version"):
        job_create_regeneration(user=owner, narrative=book, chapter=2)
    branch = _run(job_create_regeneration(user=owner, narrative=book, chapter=2, branch=True))
    assert _result(branch).parent_narrative_id == book.pk and _result(branch).version == 2


def test_a_version_with_a_chapter_job_already_running_is_refused(owner, book):
    job_create_regeneration(user=owner, narrative=book, chapter=1)
    with pytest.raises(JobError, match="already working on this version"):
        job_create_chapter_revision(user=owner, narrative=book, instructions="Shorter.", chapters=[2])


def test_a_chapter_job_counts_as_one_generation_and_is_refused_at_the_limit(owner, book):
    owner.refresh_from_db()
    used = owner.monthly_generations_used
    _run(job_create_regeneration(user=owner, narrative=book, chapter=1))
    owner.refresh_from_db()
    assert owner.monthly_generations_used == used + 1
    owner.monthly_generation_limit = owner.monthly_generations_used
    owner.save(update_fields=["monthly_generation_limit"])
    newest = Narrative.objects.order_by("-version").first()
    with pytest.raises(LimitExceeded, match="monthly generation limit"):
        job_create_regeneration(user=owner, narrative=newest, chapter=1)


def test_the_estimate_follows_the_words_to_be_written(owner, book, settings):
    settings.NF_LLM_BACKEND = "openai"
    settings.OPENAI_API_KEY = "test-key"
    settings.NF_MODEL_PRICES = {"gpt-4o-mini": [0.15, 0.6], "gpt-4o": [2.5, 10.0]}
    settings.NF_MODEL_MINI, settings.NF_MODEL_GPT4 = "gpt-4o-mini", "gpt-4o"
    one = job_create_regeneration(user=owner, narrative=book, chapter=1, branch=True)
    three = job_create_chapter_revision(user=owner, narrative=book, instructions="Tighter.", branch=True)
    assert 0 < one.estimated_cost_usd < three.estimated_cost_usd
    n = len(_slices(book))
    assert three.estimated_cost_usd == pytest.approx(one.estimated_cost_usd * n, rel=0.35)
    assert JobRuntime.objects.get(pk=three.pk).scope["chapters"] == list(range(1, n + 1))
