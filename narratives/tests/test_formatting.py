"""Reader, diff and library show writers' words, not the engine's (issue 19: formatting, search box)."""

import re

import pytest
from django.urls import reverse

from narratives.tests.conftest import SAMPLE_CHAPTERS, chapter_text

pytestmark = pytest.mark.django_db


def test_the_reader_names_the_structure_in_words(owner_client, narrative):
    html = owner_client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode()
    assert 'data-testid="structure-name">Three acts</span>' in html
    assert "three_act" not in html and "THREE_ACT" not in html


def test_the_diff_shows_chapter_headings_without_markdown(owner_client, owner, narrative, make_narrative):
    changed = [
        (SAMPLE_CHAPTERS[0][0] + " Again", SAMPLE_CHAPTERS[0][1]),
        *SAMPLE_CHAPTERS[1:],
        ("Afterword", ["A new last page."]),
    ]
    newer = make_narrative(owner, text=chapter_text(changed), version=2, parent_narrative=narrative)
    html = owner_client.get(
        reverse("narratives:diff", args=[newer.pk]) + f"?against={narrative.pk}"
    ).content.decode()
    diff = html.split('<div class="diff"')[1]
    assert "## " not in diff and "##" not in diff
    assert "<ins>Afterword</ins>" in diff  # an added chapter heading
    assert 'diff__p--change diff__p--heading">The Salt Road<ins> Again</ins></p>' in diff  # an edited one
    assert 'diff__p--heading">Homecoming</p>' in diff  # an unchanged one


def test_the_library_search_box_cancels_stale_requests(owner_client, narrative):
    html = owner_client.get(reverse("narratives:library")).content.decode()
    form = re.search(r'<form class="filters library-filters"[^>]*>', html).group(0)
    assert 'hx-sync="this:replace"' in form
