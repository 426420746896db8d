"""Rows for the UI view tests: jobs, narratives and a real plan from the offline engine."""

from __future__ import annotations

import functools
from typing import Any

from jobs.models import GenerationJob, JobStatus
from narratives.models import Narrative

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds letters from the future.",
    "title": "The Keeper",
    "language": "en",
    "target_words": 5000,
    "tone": "neutral",
    "structure": "three_act",
    "pov": "third_limited",
    "tense": "past",
    "world_notes": "",
    "review_plan": False,
}


def make_job(user, project, *, status=JobStatus.RUNNING, **extra) -> GenerationJob:
    fields: dict[str, Any] = {
        "user": user,
        "project": project,
        "status": status,
        "production_brief": {**BRIEF, **extra.pop("brief", {})},
        "current_stage": "sequential_generation" if status == JobStatus.RUNNING else None,
        "completed_stages": ["brief_interpretation", "world_architecture"],
        "progress_percentage": 42.0,
        "tokens_used": 1234,
        "actual_cost_usd": 0.0,
        "estimated_cost_usd": 0.01,
    }
    fields.update(extra)
    return GenerationJob.objects.create(**fields)


def make_narrative(user, project, *, job=None, title="The Keeper", **extra) -> Narrative:
    fields: dict[str, Any] = {
        "user": user,
        "project": project,
        "job": job,
        "title": title,
        "production_type": "short_story",
        "genre": "fantasy",
        "narrative_text": "It began with a letter.\n\nIt ended with another.",
        "word_count": 9,
        "metadata": {"language": "en"},
        "generation_cost_usd": 0.0,
        "tokens_used": 10,
    }
    fields.update(extra)
    return Narrative.objects.create(**fields)


@functools.cache
def _offline_plan() -> dict[str, Any]:
    from jobs.pipeline import Brief, get_backend, run_pipeline

    brief = Brief.from_dict({**BRIEF, "review_plan": True})
    return run_pipeline(brief, backend=get_backend("offline")).plan


def offline_plan() -> dict[str, Any]:
    """A real, valid plan (stages 01–05 of the offline engine); a fresh copy each call."""
    import copy

    return copy.deepcopy(_offline_plan())


def make_planning_job(user, project) -> GenerationJob:
    """A completed plan-review job whose plan waits for the writer."""
    from jobs.models import JobRuntime

    job = make_job(
        user,
        project,
        status=JobStatus.COMPLETED,
        brief={"review_plan": True},
        progress_percentage=100.0,
        completed_stages=[
            "brief_interpretation",
            "world_architecture",
            "character_architecture",
            "structure_design",
            "segment_planning",
        ],
        output={"kind": "plan", "plan": offline_plan(), "title": "The Keeper"},
    )
    JobRuntime.objects.update_or_create(job=job, defaults={"kind": JobRuntime.Kind.PLANNING})
    return job
