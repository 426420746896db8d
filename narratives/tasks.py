"""RQ entry points of narratives: thin adapters over narratives.services."""

from __future__ import annotations

from django.db import close_old_connections

from narratives.export_services import narrative_export_render
from narratives.services import narrative_search_lemmatise


def lemmatise_narrative(narrative_id: str) -> bool:
    close_old_connections()
    try:
        return narrative_search_lemmatise(narrative_id=narrative_id)
    finally:
        close_old_connections()


def render_export(export_id: int, attempt: int) -> str | None:
    close_old_connections()
    try:
        export = narrative_export_render(export_id=export_id, attempt=attempt)
        return export.status if export is not None else None
    finally:
        close_old_connections()
