"""The engine obeys the codex: what a writer keeps in it reaches the chapters that need it.

Real worker processes, real PostgreSQL and Redis; the model is the local
wire-format server (jobs/pipeline/testing.py), whose received prompts are read.
"""

from __future__ import annotations

import pytest

from jobs.models import GenerationJob, JobStatus
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF, wait_for
from narratives.models import Narrative
from projects.codex_services import codex_entry_create, codex_entry_update

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LOOKS = "Salt-grey hair; she limps since the winter of the wreck"


def _finished(job_id):
    job = GenerationJob.objects.get(pk=job_id)
    return job if job.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED) else None


def _codex(project):
    mira = codex_entry_create(
        project=project,
        kind="character",
        name="Mira Vell",
        role="lighthouse keeper",
        description="Dark hair.",
    )
    codex_entry_create(project=project, kind="character", name="Tomas Reed", role="her brother")
    # The writer edits the entry afterwards: the edit is what the engine must use.
    codex_entry_update(entry=mira, description=LOOKS, aliases="the keeper")
    return mira


def _drafting_prompts(server) -> list[str]:
    return [
        r["messages"][-1]["content"]
        for r in server.requests
        if r["messages"][-1]["content"].startswith("STORY BIBLE")
    ]


def _on_stage(prompt: str) -> list[str]:
    line = next(x for x in prompt.splitlines() if x.startswith("Characters on stage:"))
    return [n.strip() for n in line.removeprefix("Characters on stage:").rstrip(".").split(",")]


def test_an_edited_codex_entry_is_in_the_drafting_prompt_of_a_chapter_that_has_that_character(
    owner, project, workers, fake_llm, settings
):
    settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY = "openai", "test-key"
    settings.OPENAI_BASE_URL = fake_llm.base_url
    _codex(project)
    workers.start(env=fake_llm.worker_env)
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    assert [e["name"] for e in job.production_brief["world"]["codex"]] == ["Mira Vell", "Tomas Reed"]
    job = wait_for(lambda: _finished(job.pk), timeout=60, what="the job")
    assert job.status == JobStatus.COMPLETED, job.error_message
    prompts = _drafting_prompts(fake_llm)
    assert len(prompts) == 3  # a 5,000-word story: three segments
    with_mira = [p for p in prompts if "Mira Vell" in _on_stage(p)]
    without = [p for p in prompts if "Mira Vell" not in _on_stage(p) and "Mira" not in p.split("CODEX")[0]]
    assert with_mira, "the fake planner put Mira on stage somewhere"
    for prompt in with_mira:
        codex = prompt.split("CODEX (", 1)[1].split("\n\n", 1)[0]
        assert f"Mira Vell (also the keeper) — lighthouse keeper. {LOOKS}." in codex
        assert "Dark hair" not in prompt  # the old description is gone
    for prompt in without:  # a chapter she is not in does not pay for her entry
        assert LOOKS not in prompt
    # The codex section is bounded like every other part of the prompt.
    assert all(len(p) < 9000 for p in prompts)


def test_the_offline_engine_writes_the_codex_description_where_the_character_first_appears(
    owner, project, workers
):
    _codex(project)
    workers.start()
    job = job_create(
        user=owner, project=project, brief={**SHORT_BRIEF, "inspiration": "Mira Vell keeps the light."}
    )
    job = wait_for(lambda: _finished(job.pk), timeout=60, what="the job")
    assert job.status == JobStatus.COMPLETED, job.error_message
    text = Narrative.objects.get(job=job).narrative_text
    assert "Mira Vell — salt-grey hair; she limps since the winter of the wreck." in text
    assert "Dark hair" not in text


def test_a_chapter_regenerated_after_a_codex_edit_is_prompted_with_the_edit(
    owner, project, workers, fake_llm, settings
):
    from jobs.chapter_services import job_create_regeneration

    settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY = "openai", "test-key"
    settings.OPENAI_BASE_URL = fake_llm.base_url
    mira = _codex(project)
    workers.start(env=fake_llm.worker_env)
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    job = wait_for(lambda: _finished(job.pk), timeout=60, what="the story")
    narrative = Narrative.objects.get(job=job)
    number = next(
        s["index"] for s in narrative.metadata["plan"]["segments"] if "Mira Vell" in s["characters"]
    )
    codex_entry_update(entry=mira, description="A scar runs across her left cheek")
    asked = len(fake_llm.requests)
    regen = job_create_regeneration(user=owner, narrative=narrative, chapter=number)
    regen = wait_for(lambda: _finished(regen.pk), timeout=60, what="the regeneration")
    assert regen.status == JobStatus.COMPLETED, regen.error_message
    prompts = [
        r["messages"][-1]["content"]
        for r in fake_llm.requests[asked:]
        if r["messages"][-1]["content"].startswith("STORY BIBLE")
    ]
    assert prompts, "the regeneration drafted its chapter"
    assert "A scar runs across her left cheek." in prompts[0]
    assert LOOKS not in prompts[0]
