"""The worker side of a chapter job: read the version it works on, run ``jobs.pipeline.scoped``."""

from __future__ import annotations

from typing import Any

from jobs.models import JobRuntime
from jobs.pipeline import Brief, PipelineError, PipelineResult, Scope, chapters_from_text, run_scoped
from narratives.models import Narrative


def run_chapter_job(runtime: JobRuntime, brief: Brief, **engine: Any) -> PipelineResult:
    """Write what the job's scope asks for; ``result.changes`` are spliced in at completion.

    The parent version is read here, at run time (versions are never rewritten in place,
    so a resume reads the same text); a parent deleted meanwhile stops the job with a message.
    """
    parent = (
        Narrative.objects.filter(pk=runtime.parent_narrative_id)
        .only("id", "narrative_text", "metadata", "version")
        .first()
    )
    if parent is None:
        raise PipelineError(
            "The version this job was working on has been deleted; there is nothing to rewrite."
        )
    meta = parent.metadata if isinstance(parent.metadata, dict) else {}
    return run_scoped(
        brief,
        plan=meta.get("plan") or {},
        chapters=chapters_from_text(parent.narrative_text or ""),
        scope=Scope.from_dict(runtime.scope),
        parent_metadata=meta,
        **engine,
    )
