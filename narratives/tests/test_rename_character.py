"""Renaming a character works offline: a new version with every mention changed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jobs.pipeline import Brief, get_backend, run_pipeline
from narratives.models import Narrative


def _written(make_narrative, user, language="en"):
    inspiration = (
        "The lighthouse keeper is called Mira Vell; her brother Tomas is a smuggler."
        if language == "en"
        else "Latarniczka Jadwiga Żmuda przewozi listy. Syn nazywa się Kazimierz. Matka kocha Kazimierza."
    )
    brief = {"production_type": "short_story", "genre": "mystery", "language": language, "target_words": 5000}
    result = run_pipeline(
        Brief.from_dict({**brief, "inspiration": inspiration}), backend=get_backend("offline")
    )
    return make_narrative(user, text=result.text, language=language, metadata=result.metadata)


def test_the_owner_renames_a_character_throughout_in_a_new_version(
    owner_client, owner, make_narrative
) -> None:
    narrative = _written(make_narrative, owner)
    url = reverse("narratives:rename-character", args=[narrative.pk])
    response = owner_client.post(url, {"old_name": "Tomas", "new_name": "Elias Brand"})
    child = Narrative.objects.get(parent_narrative=narrative)
    assert response.status_code == 302 and response.url == reverse("narratives:detail", args=[child.pk])
    assert child.version == (narrative.version or 1) + 1
    assert "Tomas" not in child.narrative_text and "Elias Brand" in child.narrative_text
    assert "Elias Brand" in [c["name"] for c in child.metadata["characters"]]
    assert all("Tomas" not in e for s in child.metadata["plan"]["segments"] for e in s["key_events"])
    assert "Tomas" in narrative.narrative_text  # the earlier version is untouched


def test_polish_inflected_forms_of_the_name_follow(owner, make_narrative) -> None:
    from narratives.services import narrative_rename_character

    narrative = _written(make_narrative, owner, "pl")
    assert "Kazimierz" in narrative.narrative_text
    narrative.narrative_text += "\n\nMatka kocha Kazimierza i myśli o Kazimierzu."
    child = narrative_rename_character(narrative=narrative, old_name="Kazimierz", new_name="Antoni")
    assert "Kazimierz" not in child.narrative_text
    assert "kocha Antoniego i myśli o Antonim" in child.narrative_text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"old_name": "Tomas", "new_name": ""}, "This field is required"),
        ({"old_name": "Tomas", "new_name": "Mira Vell"}, "already a character"),
        ({"old_name": "Tomas", "new_name": "{L}"}, "made of letters"),
        ({"old_name": "Nobody", "new_name": "Elias"}, "Select a valid choice"),
    ],
)
def test_bad_names_get_a_clear_message_and_nothing_is_written(
    owner_client, owner, make_narrative, data, message
) -> None:
    narrative = _written(make_narrative, owner)
    response = owner_client.post(reverse("narratives:rename-character", args=[narrative.pk]), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


@pytest.mark.parametrize("who", ["other_user", "staff"])
def test_another_users_narrative_is_a_404(client, owner, make_narrative, request, who) -> None:
    narrative = _written(make_narrative, owner)
    client.force_login(request.getfixturevalue(who))
    url = reverse("narratives:rename-character", args=[narrative.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"old_name": "Tomas", "new_name": "Elias"}).status_code == 404
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


def test_the_command_renames_a_character_in_a_new_version(owner, make_narrative, capsys) -> None:
    from django.core.management import call_command

    narrative = _written(make_narrative, owner)
    call_command("rename_character", narrative.pk, "Tomas", "Elias Brand")
    child = Narrative.objects.get(parent_narrative=narrative)
    assert "Tomas" not in child.narrative_text and "Elias Brand" in child.narrative_text
    assert f"version {child.version}: narrative {child.pk}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Tomas", "   ", "Write the new name"),
        ("Tomas", "Mira Vell", "already a character"),
        ("Nobody", "Elias", "Choose a character of this narrative. The cast: "),
    ],
)
def test_the_command_refuses_bad_names_and_writes_nothing(owner, make_narrative, old, new, message) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    narrative = _written(make_narrative, owner)
    with pytest.raises(CommandError, match=message):
        call_command("rename_character", narrative.pk, old, new)
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


def test_the_command_refuses_an_unknown_narrative(db) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No narrative with id"):
        call_command("rename_character", "00000000-0000-0000-0000-000000000000", "A", "B")
