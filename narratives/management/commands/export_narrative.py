"""Export a narrative from the terminal: ``manage.py export_narrative ID --format epub --out FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from narratives.exports import FORMATS, UnknownFormat, export_narrative
from narratives.models import Narrative
from narratives.services import narrative_record_download


class Command(BaseCommand):
    help = "Export one narrative as TXT, Markdown, EPUB, DOCX or PDF."

    def add_arguments(self, parser):
        parser.add_argument("narrative_id", help="The narrative's id.")
        parser.add_argument(
            "--format",
            "-f",
            dest="fmt",
            default="epub",
            help=f"One of: {', '.join(FORMATS)} (default: epub).",
        )
        parser.add_argument(
            "--out",
            "-o",
            default=None,
            help="File or folder to write; default: the title's slug in the current folder; '-': stdout.",
        )
        parser.add_argument(
            "--count",
            action="store_true",
            help="Count this export as a download (download_count and exported_formats).",
        )

    def handle(self, *args, narrative_id: str, fmt: str, out: str | None, count: bool, **options):
        fmt = fmt.lower().lstrip(".")
        if fmt == "markdown":
            fmt = "md"
        if fmt not in FORMATS:
            raise CommandError(f"Unknown format {fmt!r}. Choose one of: {', '.join(FORMATS)}.")
        narrative = Narrative.objects.select_related("user").filter(pk=narrative_id).first()
        if narrative is None:
            raise CommandError(f"No narrative with id {narrative_id!r}.")
        try:
            data, filename, spec = export_narrative(narrative, fmt)
        except UnknownFormat as exc:  # pragma: no cover - checked above
            raise CommandError(str(exc))
        if out == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            path = Path(out) if out else Path(filename)
            if path.is_dir():
                path = path / filename
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.")
            self.stdout.write(f"Wrote {spec.label} ({len(data):,} bytes) to {path}")
        if count:
            narrative_record_download(narrative=narrative, fmt=spec.key)
