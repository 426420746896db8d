"""An imported manuscript works like a generated one (issue 16 §5): chapter jobs and exports take it."""

from __future__ import annotations

import pytest

from jobs.attempt import run_job
from jobs.chapter_services import (
    job_create_chapter_revision,
    job_create_continuation,
    job_create_regeneration,
)
from jobs.models import GenerationJob, JobStatus
from narratives.chapters import chapter_spans
from narratives.exports import export_narrative
from narratives.import_services import narrative_import
from narratives.models import Narrative
from narratives.tests.test_import import docx_bytes
from projects.services import project_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_conn")]


def _slices(narrative: Narrative) -> list[str]:
    return [s.slice(narrative.narrative_text) for s in chapter_spans(narrative.narrative_text)]


def _run(job: GenerationJob) -> Narrative:
    outcome = run_job(job.pk, job.rq_job_id)
    assert outcome == JobStatus.COMPLETED, GenerationJob.objects.get(pk=job.pk).error_message
    return Narrative.objects.get(job_id=job.pk)


@pytest.fixture
def imported(owner):
    project = project_create(user=owner, name="Salt Coast", default_genre="fantasy")
    narrative, _ = narrative_import(user=owner, project=project, filename="Salt Road.docx", data=docx_bytes())
    return narrative


def test_an_imported_chapter_is_regenerated_and_the_others_stay_byte_identical(owner, imported) -> None:
    new = _run(job_create_regeneration(user=owner, narrative=imported, chapter=2))
    before, after = _slices(imported), _slices(new)
    assert after[0] == before[0] and after[2] == before[2] and after[1] != before[1]
    assert new.version == 2 and new.parent_narrative_id == imported.pk


def test_an_imported_narrative_is_continued_and_revised(owner, imported) -> None:
    longer = _run(job_create_continuation(user=owner, narrative=imported, chapters=1))
    assert len(_slices(longer)) == 4
    assert _slices(longer)[:2] == _slices(imported)[:2]
    revised = _run(
        job_create_chapter_revision(
            user=owner, narrative=longer, instructions="Darker and tense.", chapters=[1]
        )
    )
    assert _slices(revised)[1:] == _slices(longer)[1:] and _slices(revised)[0] != _slices(longer)[0]
    assert revised.metadata["revision"]["instructions"] == "Darker and tense."
    for fmt in ("txt", "md", "docx", "epub", "pdf"):
        data, filename, _ = export_narrative(revised, fmt)
        assert data and filename.startswith("the-salt-road")
