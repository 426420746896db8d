"""``manage.py search_lemmatise``: add Polish lemmas to search rows that lack current ones."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from narratives.services import narrative_search_lemmatise_pending


class Command(BaseCommand):
    help = (
        "Lemmatise the search rows of narratives whose Polish lemmas are missing or stale "
        "(rows written by plain SQL, or while no worker ran)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=100_000, help="At most this many rows (default 100000)."
        )

    def handle(self, *args, limit: int, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        done = narrative_search_lemmatise_pending(limit=limit)
        self.stdout.write(f"Lemmatised {done} narrative(s).")
