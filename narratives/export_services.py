"""Writes for exports off the request path (issue 18 §2).

A request for an EPUB, DOCX or PDF makes (or finds) the ``narrative_exports``
row of the current key — narrative, its ``updated_at``, format, renderer
version — and, if the file is not there yet, enqueues one render after the
transaction commits. A worker claims the row with a conditional UPDATE (the
``attempt`` number fences a render that was given up on), renders, stores the
file in the ``exports`` storage, marks the row ready and records the format in
the seed's ``exported_formats`` column. TXT and Markdown of a short story or
novella take milliseconds, so they stay synchronous in the view (``is_sync``).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from narratives.exports import FORMATS, export_narrative
from narratives.models import Narrative, NarrativeExport

log = logging.getLogger(__name__)

RENDER_VERSION = NarrativeExport.CURRENT_RENDER_VERSION
SYNC_FORMATS = frozenset({"txt", "md"})
# TXT/MD of a short story or novella take milliseconds; a novel's or saga's go to the worker too
# (a 500k-word TXT took ~0.3-0.8 s in the request on the shared bench machine).
SYNC_MAX_WORDS = 60_000


def is_sync(fmt: str, word_count: int | None) -> bool:
    """Whether this format of a narrative this long is made in the request."""
    return fmt in SYNC_FORMATS and (word_count or 0) <= SYNC_MAX_WORDS


RENDER_TASK = "narratives.tasks.render_export"
# A render that has not finished after this long is presumed lost (its worker died) and may restart.
STALE_AFTER = timedelta(minutes=15)

_RECORD_FORMAT_SQL = """
UPDATE narratives
   SET exported_formats = CASE
           WHEN jsonb_typeof(exported_formats) = 'array'
               THEN exported_formats || jsonb_build_array(%(fmt)s::text)
           ELSE jsonb_build_array(%(fmt)s::text)
       END
 WHERE id = %(id)s
   AND NOT (jsonb_typeof(exported_formats) = 'array' AND exported_formats @> jsonb_build_array(%(fmt)s::text))
"""


def exports_storage():
    return storages["exports"]


def _key(narrative: Narrative, fmt: str) -> dict:
    return {
        "narrative_id": narrative.pk,
        "fmt": fmt,
        "source_updated_at": narrative.updated_at,
        "render_version": RENDER_VERSION,
    }


def narrative_export_request(*, narrative: Narrative, fmt: str) -> NarrativeExport:
    """The export row of this version and format, enqueued for rendering unless it is ready or under way.

    Idempotent: any number of concurrent requests make one row and at most one
    render per attempt. A failed or stale attempt starts a new one.
    """
    if fmt not in FORMATS or is_sync(fmt, narrative.word_count):
        raise ValueError(f"{fmt!r} of this narrative is made in the request, not by a worker.")
    key = _key(narrative, fmt)
    try:
        with transaction.atomic():
            export = NarrativeExport.objects.create(**key, attempt=1)
    except IntegrityError:
        export = NarrativeExport.objects.get(**key)
        if export.status == NarrativeExport.Status.READY:
            return export
        stale = timezone.now() - STALE_AFTER
        restart = (
            export.status == NarrativeExport.Status.FAILED or (export.started_at or export.created_at) < stale
        )
        if not restart:
            return export
        # Conditional on the attempt we saw: of two concurrent retries, one wins.
        won = NarrativeExport.objects.filter(pk=export.pk, attempt=export.attempt).update(
            status=NarrativeExport.Status.PENDING,
            attempt=export.attempt + 1,
            error="",
            started_at=None,
            created_at=timezone.now(),
        )
        export.refresh_from_db()
        if not won:
            return export
    _enqueue_on_commit(export.pk, export.attempt)
    return export


def _enqueue_on_commit(export_id: int, attempt: int) -> None:
    def enqueue() -> None:
        import django_rq

        try:
            django_rq.get_queue("default", commit_mode="auto").enqueue(
                RENDER_TASK,
                export_id,
                attempt,
                job_id=f"nf-export-{export_id}-{attempt}",
                result_ttl=0,
                job_timeout=int(STALE_AFTER.total_seconds()),
            )
        except Exception as exc:  # Redis down: say so on the row, the page offers a retry
            log.warning("Could not enqueue export %s: %s", export_id, type(exc).__name__)
            NarrativeExport.objects.filter(pk=export_id, attempt=attempt).update(
                status=NarrativeExport.Status.FAILED, error="The export queue is unavailable; try again."
            )

    transaction.on_commit(enqueue)


def narrative_export_render(*, export_id: int, attempt: int) -> NarrativeExport | None:
    """Render one export (worker side). Returns the row, or None when this attempt is not ours to run."""
    claimed = NarrativeExport.objects.filter(
        pk=export_id, attempt=attempt, status=NarrativeExport.Status.PENDING
    ).update(status=NarrativeExport.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    export = NarrativeExport.objects.select_related("narrative", "narrative__user").get(pk=export_id)
    narrative = export.narrative
    started = time.perf_counter()
    try:
        data, _filename, spec = export_narrative(narrative, export.fmt)
        stamp = export.source_updated_at.strftime("%Y%m%dT%H%M%S%f")
        name = f"{narrative.pk}/{stamp}-r{RENDER_VERSION}-a{attempt}.{spec.extension}"
        stored = exports_storage().save(name, ContentFile(data))
    except Exception as exc:
        log.exception("Export %s (%s) failed", export_id, export.fmt)
        NarrativeExport.objects.filter(pk=export_id, attempt=attempt).update(
            status=NarrativeExport.Status.FAILED,
            finished_at=timezone.now(),
            error=f"The {export.fmt.upper()} could not be made ({type(exc).__name__}).",
        )
        return NarrativeExport.objects.get(pk=export_id)
    seconds = time.perf_counter() - started
    with transaction.atomic():
        done = NarrativeExport.objects.filter(
            pk=export_id, attempt=attempt, status=NarrativeExport.Status.RUNNING
        ).update(
            status=NarrativeExport.Status.READY,
            storage_name=stored,
            size_bytes=len(data),
            finished_at=timezone.now(),
            render_seconds=seconds,
        )
        if done:
            with connection.cursor() as cursor:
                cursor.execute(_RECORD_FORMAT_SQL, {"fmt": export.fmt, "id": narrative.pk})
    if not done:  # a newer attempt took over meanwhile: drop this file
        exports_storage().delete(stored)
    return NarrativeExport.objects.get(pk=export_id)
