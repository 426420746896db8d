"""The project's codex: entries a writer adds, edits and removes; the world JSON follows them."""

import pytest
from django.urls import reverse

from narraforge.tests.ui_helpers import make_job, make_narrative
from narratives.models import Narrative
from projects.codex_selectors import codex_by_kind, codex_entry_of_user
from projects.codex_services import (
    DESCRIPTION_MAX,
    CodexError,
    codex_entry_create,
    codex_entry_delete,
    codex_entry_update,
)
from projects.models import CodexEntry, World
from projects.selectors import world_for_project
from projects.services import project_create, world_record_narrative

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner):
    return project_create(user=owner, name="Tidewater")


@pytest.fixture
def mira(project):
    return codex_entry_create(
        project=project,
        kind="character",
        name="Mira Vell",
        aliases="Mira, the keeper",
        role="lighthouse keeper",
        goal="to find her brother",
        description="Salt-grey hair, a limp from the winter of the wreck.",
        relationships="Tomas: her younger brother",
    )


# --- services and selectors -----------------------------------------------------------


def test_an_entry_becomes_part_of_the_projects_world_and_brief(project, mira):
    codex_entry_create(project=project, kind="place", name="Salt Archive", description="A drowned library.")
    codex_entry_create(
        project=project, kind="lore", name="The drowned bells", description="They ring at ebb."
    )
    project.refresh_from_db()
    world = World.objects.get(pk=project.world_id)
    assert world.characters[0]["name"] == "Mira Vell" and world.characters[0]["role"] == "lighthouse keeper"
    assert world.bible["locations"] == [{"name": "Salt Archive", "description": "A drowned library."}]
    brief_world = world_for_project(project)
    kinds = {e["name"]: e["kind"] for e in brief_world["codex"]}
    assert kinds == {"Mira Vell": "character", "Salt Archive": "place", "The drowned bells": "lore"}
    assert brief_world["codex"][0]["aliases"] == ["Mira", "the keeper"]
    assert brief_world["codex"][0]["description"].startswith("Salt-grey hair")


def test_it_refuses_an_empty_name_and_writes_nothing(project):
    for name in ("", "   ", "\x01\x02"):
        with pytest.raises(CodexError, match="Give the entry a name"):
            codex_entry_create(project=project, kind="character", name=name)
    assert not CodexEntry.objects.exists()
    project.refresh_from_db()
    assert project.world_id is None


def test_it_refuses_a_name_or_alias_already_used_in_the_project(project, mira):
    with pytest.raises(CodexError, match="already the name of Mira Vell"):
        codex_entry_create(project=project, kind="place", name="mira vell")
    with pytest.raises(CodexError, match="already an alias of Mira Vell"):
        codex_entry_create(project=project, kind="character", name="The Keeper")
    with pytest.raises(CodexError, match="“Mira” is already an alias of Mira Vell"):
        codex_entry_create(project=project, kind="character", name="Tomas", aliases=["Mira"])
    assert CodexEntry.objects.count() == 1


def test_another_project_may_use_the_same_name(owner, project, mira):
    other = project_create(user=owner, name="Elsewhere")
    codex_entry_create(project=other, kind="character", name="Mira Vell")
    assert CodexEntry.objects.filter(name="Mira Vell").count() == 2


def test_it_refuses_over_long_fields(project):
    with pytest.raises(CodexError, match="at most 120 characters"):
        codex_entry_create(project=project, kind="character", name="M" * 121)
    with pytest.raises(CodexError, match="Description can be at most 2,000 characters"):
        codex_entry_create(
            project=project, kind="character", name="Mira", description="x" * (DESCRIPTION_MAX + 1)
        )
    with pytest.raises(CodexError, match="At most 12 aliases"):
        codex_entry_create(
            project=project, kind="character", name="Mira", aliases=[f"M{i}" for i in range(13)]
        )
    assert not CodexEntry.objects.exists()


def test_an_update_keeps_its_own_name_and_refuses_a_taken_one(project, mira):
    tomas = codex_entry_create(project=project, kind="character", name="Tomas")
    codex_entry_update(entry=mira, description="Now with a lantern.")  # its own name and aliases: fine
    with pytest.raises(CodexError, match="already an alias of Mira Vell"):
        codex_entry_update(entry=tomas, name="the keeper")
    tomas.refresh_from_db()
    assert tomas.name == "Tomas"
    renamed = codex_entry_update(entry=mira, name="Mira Sand")
    project.refresh_from_db()
    assert [c["name"] for c in World.objects.get(pk=project.world_id).characters] == ["Mira Sand", "Tomas"]
    assert renamed.description == "Now with a lantern."


def test_deleting_an_entry_removes_it_from_the_world(project, mira):
    codex_entry_delete(entry=mira)
    project.refresh_from_db()
    assert World.objects.get(pk=project.world_id).characters == []
    assert not CodexEntry.objects.exists()


def test_a_place_and_lore_have_no_role_goal_or_relationships(project):
    place = codex_entry_create(project=project, kind="place", name="Harbour", role="x", goal="y")
    assert (place.role, place.goal) == ("", "")
    project.refresh_from_db()  # an empty description still gives the plan a non-empty one
    assert World.objects.get(pk=project.world_id).bible["locations"] == [
        {"name": "Harbour", "description": "Harbour"}
    ]


def test_a_narratives_new_cast_and_places_join_the_codex(owner, project, mira):
    metadata = {
        "plan": {
            "world": {"name": "Tidewater", "locations": [{"name": "Bell Tower", "description": "Tall."}]},
            "characters": [
                {"name": "Mira Vell", "role": "keeper", "goal": "g", "gender": "f"},
                {"name": "Tomas", "role": "brother", "goal": "to leave", "gender": "m", "voice": "quick"},
                {"name": "the keeper", "role": "same person as Mira"},
            ],
        }
    }
    world_record_narrative(project=project, world_mode="continue", metadata=metadata)
    names = [e.name for e in CodexEntry.objects.filter(project=project)]
    assert names == ["Mira Vell", "Tomas", "Bell Tower"]
    tomas = CodexEntry.objects.get(name="Tomas")
    assert tomas.traits == {"gender": "m", "voice": "quick"} and tomas.role == "brother"
    mira.refresh_from_db()
    assert mira.role == "lighthouse keeper"  # the writer's entry is not overwritten by the story


def test_a_first_narrative_gives_an_empty_project_its_codex(owner):
    project = project_create(user=owner, name="Fresh")
    metadata = {
        "plan": {
            "world": {"name": "Fen", "locations": [{"name": "Mill", "description": "Wet."}]},
            "characters": [{"name": "Ada", "role": "miller", "goal": "to stay", "gender": "f"}],
        }
    }
    world_record_narrative(project=project, world_mode="", metadata=metadata)
    groups = codex_by_kind(project=project)
    assert [e.name for e in groups["character"]] == ["Ada"] and [e.name for e in groups["place"]] == ["Mill"]
    project.refresh_from_db()
    world = World.objects.get(pk=project.world_id)
    assert world.name == "Fen" and world.characters[0]["gender"] == "f"


def test_the_entry_selector_is_scoped_to_the_owner(owner, other_user, project, mira):
    assert codex_entry_of_user(user=owner, project=project, entry_id=mira.pk) == mira
    assert codex_entry_of_user(user=other_user, project=project, entry_id=mira.pk) is None


# --- views ---------------------------------------------------------------------------------


def _entry_urls(project, entry):
    return [
        ("get", reverse("projects:codex-add", args=[project.id, "character"])),
        ("post", reverse("projects:codex-add", args=[project.id, "character"])),
        ("get", reverse("projects:codex-edit", args=[project.id, entry.id])),
        ("post", reverse("projects:codex-edit", args=[project.id, entry.id])),
        ("get", reverse("projects:codex-delete", args=[project.id, entry.id])),
        ("post", reverse("projects:codex-delete", args=[project.id, entry.id])),
        ("get", reverse("projects:codex-rename", args=[project.id, entry.id])),
        ("post", reverse("projects:codex-rename", args=[project.id, entry.id])),
    ]


@pytest.mark.parametrize("who", ["other_user", "staff"])
def test_someone_elses_codex_is_404_and_untouched(client, project, mira, who, request):
    client.force_login(request.getfixturevalue(who))
    for method, url in _entry_urls(project, mira):
        assert getattr(client, method)(url, {"name": "Hijacked"}).status_code == 404, url
    mira.refresh_from_db()
    assert mira.name == "Mira Vell" and CodexEntry.objects.count() == 1


def test_an_entry_id_of_another_project_is_404(client, owner, project, mira):
    other = project_create(user=owner, name="Elsewhere")
    client.force_login(owner)
    url = reverse("projects:codex-edit", args=[other.id, mira.id])
    assert client.post(url, {"name": "Moved"}).status_code == 404
    assert client.get(reverse("projects:codex-add", args=[project.id, "monster"])).status_code == 404


def test_the_owner_adds_edits_and_sees_entries_on_the_project_page(client, owner, project):
    client.force_login(owner)
    add = reverse("projects:codex-add", args=[project.id, "character"])
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {"name": "Mira Vell", "aliases": "Mira\nthe keeper", "role": "keeper", "description": "Grey hair."},
    )
    assert response.status_code == 302 and response["Location"].endswith("#codex-h")
    client.post(
        reverse("projects:codex-add", args=[project.id, "lore"]), {"name": "Bells", "description": "Ring."}
    )
    html = client.get(reverse("projects:detail", args=[project.id])).content.decode()
    for text in ("Codex", "Mira Vell", "also Mira, the keeper", "Grey hair.", "Bells", "Add a place"):
        assert text in html, text
    entry = CodexEntry.objects.get(name="Mira Vell")
    response = client.post(
        reverse("projects:codex-edit", args=[project.id, entry.id]),
        {"name": "Mira Vell", "aliases": "Mira", "role": "keeper", "description": "White hair."},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.description == "White hair." and entry.aliases == ["Mira"]


def test_a_bad_form_says_why_and_writes_nothing(client, owner, project, mira):
    client.force_login(owner)
    add = reverse("projects:codex-add", args=[project.id, "character"])
    cases = [
        ({"name": ""}, "Give the entry a name."),
        ({"name": "Tomas", "aliases": "the keeper"}, "“the keeper” is already an alias of Mira Vell"),
        ({"name": "MIRA VELL"}, "already the name of Mira Vell"),
        ({"name": "T" * 121}, "at most 120 characters"),
        ({"name": "Tomas", "description": "x" * 2001}, "at most 2000 characters"),
    ]
    for data, message in cases:
        response = client.post(add, data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), message
    assert CodexEntry.objects.count() == 1
    edit = reverse("projects:codex-edit", args=[project.id, mira.id])
    response = client.post(edit, {"name": ""})
    assert response.status_code == 400 and "Give the entry a name." in response.content.decode()
    mira.refresh_from_db()
    assert mira.name == "Mira Vell"


def test_removing_an_entry_asks_first(client, owner, project, mira):
    client.force_login(owner)
    url = reverse("projects:codex-delete", args=[project.id, mira.id])
    html = client.get(url).content.decode()
    assert "Remove “Mira Vell” from the codex?" in html and "Keep it" in html
    assert CodexEntry.objects.filter(pk=mira.pk).exists()  # asking wrote nothing
    assert client.post(url).status_code == 302
    assert not CodexEntry.objects.filter(pk=mira.pk).exists()


def _story(owner, project, name="Mira Vell"):
    job = make_job(owner, project)
    return make_narrative(
        owner,
        project,
        job=job,
        title="The Keeper",
        narrative_text=f"{name} climbed the stairs. {name}'s lamp was lit. {name.split()[0]} slept.",
        metadata={"characters": [{"name": name, "role": "keeper"}], "language": "en"},
    )


def test_renaming_a_character_offers_to_rename_it_in_a_narrative_as_a_new_version(
    client, owner, project, mira
):
    story = _story(owner, project)
    client.force_login(owner)
    response = client.post(
        reverse("projects:codex-edit", args=[project.id, mira.id]),
        {"name": "Ada Sand", "aliases": "Ada", "role": "keeper"},
    )
    assert response.status_code == 302
    offer = response["Location"]
    assert reverse("projects:codex-rename", args=[project.id, mira.id]) in offer
    html = client.get(offer).content.decode()
    assert "Mira Vell is now Ada Sand" in html and "The Keeper" in html and "Rename in version 2" in html
    assert Narrative.objects.count() == 1  # offering wrote nothing
    response = client.post(
        reverse("projects:codex-rename", args=[project.id, mira.id]),
        {"old": "Mira Vell", "narrative": story.pk},
    )
    assert response.status_code == 302
    child = Narrative.objects.get(parent_narrative=story)
    assert child.version == 2
    assert child.narrative_text == "Ada Sand climbed the stairs. Ada Sand's lamp was lit. Ada slept."
    story.refresh_from_db()
    assert "Mira Vell" in story.narrative_text  # the earlier version is kept as it was


def test_the_rename_offer_refuses_a_narrative_that_is_not_a_candidate(
    client, owner, other_user, project, mira
):
    codex_entry_update(entry=mira, name="Ada Sand")
    theirs = _story(other_user, project_create(user=other_user, name="Theirs"))
    client.force_login(owner)
    url = reverse("projects:codex-rename", args=[project.id, mira.id])
    response = client.post(url, {"old": "Mira Vell", "narrative": theirs.pk})
    assert response.status_code == 400 and "Choose one of the narratives" in response.content.decode()
    assert Narrative.objects.count() == 1
