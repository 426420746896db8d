"""`manage.py forge` takes every field of the generation form, in both modes."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from jobs.models import GenerationJob

FLAGS = [
    "--type=short_story",
    "--genre=mystery",
    "--inspiration=Mira Vell keeps the lighthouse; her brother Tomas smuggles brandy.",
    "--title=The Keeper's Ledger",
    "--world-notes=The lighthouse stands on Ketha, an island of the north sea.",
    "--pov=first",
    "--tense=present",
    "--tone=dark",
    "--structure=five_act",
    "--words=5000",
]
EXPECTED = {
    "title": "The Keeper's Ledger",
    "world_notes": "The lighthouse stands on Ketha, an island of the north sea.",
    "pov": "first",
    "tense": "present",
    "tone": "dark",
    "structure": "five_act",
}


def test_it_passes_every_form_field_to_an_in_process_run(tmp_path) -> None:
    call_command("forge", *FLAGS, "--backend=offline", f"--out={tmp_path}")
    brief = json.loads((tmp_path / "metadata.json").read_text())["brief"]
    assert {k: brief[k] for k in EXPECTED} == EXPECTED


@pytest.mark.django_db
def test_it_passes_every_form_field_to_a_queued_job(owner) -> None:
    call_command("forge", *FLAGS, f"--user={owner.email}", "--project=Forge flags")
    job = GenerationJob.objects.get(user=owner)
    assert {k: job.production_brief[k] for k in EXPECTED} == EXPECTED


@pytest.mark.django_db
def test_it_refuses_an_unknown_point_of_view_and_queues_nothing(owner) -> None:
    with pytest.raises(CommandError, match="pov"):
        call_command("forge", *FLAGS[:-5], "--pov=fourth", f"--user={owner.email}", "--project=P")
    assert not GenerationJob.objects.exists()
