"""``manage.py llm_check``: test the configured model connection before any job uses it.

The same probe as the "Test connection" button (``jobs.pipeline.probe``):
lists what the endpoint serves (GET /v1/models), refuses configured model
names it does not serve, makes one tiny structured call per tier model and
prints the latency, the JSON mode that worked (remembered for jobs) and the
context window. Exit status 1 on any failure; nothing is written but the
remembered JSON mode.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jobs.engine_settings import backend_name, engine_config
from jobs.pipeline.probe import probe_connection


class Command(BaseCommand):
    help = "Check the model connection: reachable, key accepted, configured models served, JSON, window."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait for each answer.")

    def handle(self, *args, **options) -> None:
        if backend_name() != "openai":
            self.stdout.write(
                "The offline engine is configured (no API key): there is no connection to check."
            )
            return
        config = engine_config()
        result = probe_connection(config.connection, timeout=options["timeout"], json_modes=config.json_modes)
        if not result.ok:
            raise CommandError("\n".join(result.lines()))
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"The endpoint at {result.where} is ready."))
