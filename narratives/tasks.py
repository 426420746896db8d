"""RQ entry points of narratives: thin adapters over narratives.services."""

from __future__ import annotations

from django.db import close_old_connections


def lemmatise_narrative(narrative_id: str) -> bool:
    from narratives.services import narrative_search_lemmatise

    close_old_connections()
    try:
        return narrative_search_lemmatise(narrative_id=narrative_id)
    finally:
        close_old_connections()
