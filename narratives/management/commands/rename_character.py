"""``manage.py rename_character NARRATIVE_ID OLD NEW``: one character renamed throughout, as a new version.

The same service as the reader's "Rename a character" (``narrative_rename_character``):
whole words, possessives and Polish inflected forms; no model, no cost. Nothing is
queued, so there is nothing to ``--wait`` for: the new version exists when this returns.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from narraforge.errors import UserFacingError
from narratives.models import Narrative
from narratives.services import narrative_rename_character


class Command(BaseCommand):
    help = "Rename a character of a narrative throughout (text, cast, plan) in a new version."

    def add_arguments(self, parser):
        parser.add_argument("narrative_id", help="The narrative's id.")
        parser.add_argument("old", help="The character's current name, as in the cast.")
        parser.add_argument("new", help="The new name.")

    def handle(self, *args, narrative_id: str, old: str, new: str, **options):
        narrative = Narrative.objects.filter(pk=narrative_id).first()
        if narrative is None:
            raise CommandError(f"No narrative with id {narrative_id!r}.")
        try:
            child = narrative_rename_character(narrative=narrative, old_name=old, new_name=new)
        except UserFacingError as exc:
            meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
            cast = [c.get("name") for c in meta.get("characters") or [] if isinstance(c, dict)]
            hint = (
                f" The cast: {', '.join(n for n in cast if n)}." if exc.field == "old_name" and cast else ""
            )
            raise CommandError(f"{exc}{hint} Nothing was written.")
        revision = child.metadata.get("revision") or {}
        self.stdout.write(
            f"Renamed {old} to {revision.get('new_name')} in version {child.version}: narrative {child.pk}."
        )
