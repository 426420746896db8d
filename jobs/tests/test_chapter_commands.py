"""`regenerate_chapter`, `continue_narrative` and `revise`: queued through the same services as the reader."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from jobs.models import GenerationJob, JobRuntime
from jobs.tests.conftest import ROOT, SHORT_BRIEF, Workers
from narratives.models import Narrative


@pytest.fixture
def book(owner, project):
    """A finished version 1 (its rows committed: the task body's heartbeat has its own connection)."""
    from jobs.attempt import run_job
    from jobs.services import job_create

    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    run_job(job.pk, job.rq_job_id)
    return Narrative.objects.get(job=job)


def _call(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_conn")
def test_each_command_queues_its_chapter_job_for_the_narratives_owner(owner, book):
    out = _call("regenerate_chapter", book.pk, "2", "--instructions", "Quieter.")
    assert "its result will be v2" in out
    job = GenerationJob.objects.get(runtime__kind=JobRuntime.Kind.REGENERATE)
    assert job.user_id == owner.pk and job.runtime.scope["chapters"] == [2]
    assert job.runtime.scope["instructions"] == "Quieter."
    _call("continue_narrative", book.pk, "--chapters", "2", "--branch")
    assert GenerationJob.objects.get(runtime__kind=JobRuntime.Kind.CONTINUE).runtime.scope["add"] == 2
    _call("revise", book.pk, "--instructions", "Darker.", "--chapters", "1,3", "--branch")
    revise = GenerationJob.objects.get(runtime__kind=JobRuntime.Kind.REVISE_CHAPTERS)
    assert revise.runtime.scope["chapters"] == [1, 3]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_conn")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["regenerate_chapter", "{id}", "99"], "Chapter 99 does not exist"),
        (["regenerate_chapter", "no-such-id", "1"], "No narrative with the id no-such-id"),
        (["continue_narrative", "{id}", "--chapters", "0"], "Add between 1 and 20 chapters"),
        (["revise", "{id}", "--instructions", "   "], "Say what the revision should change"),
        (["revise", "{id}", "--instructions", "Darker.", "--chapters", "one"], "not a chapter number"),
        (["revise", "{id}", "--instructions", "Darker.", "--chapters", ","], "--chapters needs"),
    ],
)
def test_bad_input_is_a_command_error_and_writes_nothing(book, args, message):
    before = GenerationJob.objects.count()
    with pytest.raises(CommandError, match=message):
        _call(*[a.format(id=book.pk) for a in args])
    assert GenerationJob.objects.count() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_conn")
def test_a_stale_version_is_refused_by_the_command_unless_branch(book):
    _call("regenerate_chapter", book.pk, "1")
    GenerationJob.objects.update(status="completed")  # that job is done; a newer version exists next
    Narrative.objects.create(
        **{f: getattr(book, f) for f in ("user_id", "project_id", "production_type", "genre", "word_count")},
        narrative_text=book.narrative_text,
        metadata=book.metadata,
        generation_cost_usd=0,
        tokens_used=0,
        version=2,
        parent_narrative=book,
    )
    with pytest.raises(CommandError, match="Version 2 was already made from this version"):
        _call("regenerate_chapter", book.pk, "2")
    _call("regenerate_chapter", book.pk, "2", "--branch")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_wait_follows_the_job_to_the_new_version_and_a_refusal_exits_non_zero(book, workers):
    workers.start()
    out = _call("regenerate_chapter", book.pk, "3", "--wait", "--timeout", "60")
    child = Narrative.objects.get(parent_narrative=book)
    assert f"narrative {child.pk}  version 2" in out
    pool = Workers(workers.db_name, workers.redis_url)
    proc = subprocess.run(
        [sys.executable, "manage.py", "regenerate_chapter", book.pk, "2"],
        cwd=ROOT,
        env=pool.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Version 2 was already made from this version" in proc.stderr
