"""The reader shows, for each codex entry, the chapters that mention it."""

import pytest
from django.urls import reverse

from narraforge.tests.ui_helpers import make_job, make_narrative
from narratives.codex_mentions import mentions_by_chapter
from projects.codex_services import codex_entry_create
from projects.services import project_create

pytestmark = pytest.mark.django_db

TEXT = (
    "## The Lamp\n\nMira Vell climbed the stairs. The keeper's lamp was lit.\n\n"
    "## The Boat\n\nTomas rowed out alone. Nobody named Miranda came.\n\n"
    "## The Return\n\nMira's boat came back with Tomas asleep in it.\n"
)


def test_chapters_are_found_by_name_alias_and_possessive_never_by_a_longer_word():
    found = mentions_by_chapter(
        TEXT,
        [("mira", ["Mira Vell", "Mira", "the keeper"]), ("tomas", ["Tomas"]), ("ada", ["Ada"])],
        "en",
    )
    assert found == {"mira": [1, 3], "tomas": [2, 3], "ada": []}


def test_polish_inflected_forms_count_as_mentions():
    text = "## Jeden\n\nMyślał o Mirze całą noc.\n\n## Dwa\n\nRozmawiał z Mirą do rana.\n\n## Trzy\n\nNikt.\n"
    found = mentions_by_chapter(text, [("mira", ["Mira"])], "pl")
    assert found == {"mira": [1, 2]}


@pytest.mark.parametrize("who", ["owner", "other_user", "staff"])
def test_the_reader_lists_the_chapters_of_each_entry_to_its_owner_only(client, owner, who, request):
    project = project_create(user=owner, name="Tidewater")
    codex_entry_create(project=project, kind="character", name="Mira Vell", aliases=["Mira", "the keeper"])
    codex_entry_create(project=project, kind="character", name="Tomas")
    codex_entry_create(project=project, kind="place", name="Salt Archive")
    job = make_job(owner, project)
    narrative = make_narrative(owner, project, job=job, narrative_text=TEXT, metadata={"language": "en"})
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("narratives:detail", args=[narrative.pk]))
    if who != "owner":
        assert response.status_code == 404
        return
    html = response.content.decode()
    panel = html.split('data-testid="codex-mentions"', 1)[1].split("</section>", 1)[0]
    assert "Mira Vell" in panel and "Tomas" in panel
    assert "Salt Archive" not in panel  # never mentioned: not listed
    mira = panel.split("Mira Vell", 1)[1].split("</li>", 1)[0]
    assert mira.count('href="#') == 2 and ">1</a>" in mira and ">3</a>" in mira
