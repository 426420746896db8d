"""``manage.py llm_check``: test the configured model connection before any job uses it.

Lists what the endpoint serves (GET /v1/models), refuses configured model
names it does not serve, and prints the context window and JSON mode the
engine will use. Exit status 1 on any refusal; nothing is written.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jobs.engine_settings import backend_name, engine_config
from jobs.pipeline import BackendError, get_backend


class Command(BaseCommand):
    help = "Check the model connection: reachable, key accepted, configured models served."

    def handle(self, *args, **options) -> None:
        if backend_name() != "openai":
            self.stdout.write(
                "The offline engine is configured (no API key): there is no connection to check."
            )
            return
        config = engine_config()
        conn = config.connection
        try:
            backend = get_backend("openai", config)
            served = backend.check_models([conn.model_for(t) for t in ("mini", "gpt4")])
        except BackendError as exc:
            raise CommandError(str(exc)) from None
        window = conn.context_window or next((w for w in served.values() if w), None)
        for tier in ("mini", "gpt4"):
            self.stdout.write(f"{tier:<5} {conn.model_for(tier)}: served")
        self.stdout.write(
            f"context window: {window or 'not stated by the server (128,000 assumed)'}"
            f"{' (configured)' if conn.context_window else ''}"
        )
        remembered = config.json_modes.get(conn.endpoint)
        self.stdout.write(f"JSON mode: {conn.json_mode}{f' (detected: {remembered})' if remembered else ''}")
        self.stdout.write(self.style.SUCCESS(f"The endpoint at {backend.where} is ready."))
