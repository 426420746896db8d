"""FastSelect renders what Django's Select renders, without a template per option."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from narraforge.widgets import FastSelect

CHOICES = [("", "Any genre"), ("fantasy", "Fantasy"), ("scifi", 'Science <fiction> & "more"')]
GROUPED = [("", "Any"), ("Prose", [("novel", "Novel"), ("saga", "Saga")]), ("x", "X")]


@pytest.mark.parametrize("choices", [CHOICES, GROUPED])
@pytest.mark.parametrize("value", [None, "", "scifi", "saga", "<script>"])
def test_fast_select_renders_the_same_markup_as_django(choices, value):
    attrs = {"id": "id_genre", "aria-describedby": "id_genre_helptext", "class": "wide"}
    plain = forms.Select(choices=choices).render("genre", value, attrs=attrs)
    fast = FastSelect(choices=choices).render("genre", value, attrs=attrs)
    assert parse_html(fast) == parse_html(plain), (fast, plain)


def test_the_library_filter_form_keeps_its_choices_and_the_current_one():
    from narratives.forms import LibraryFilterForm

    form = LibraryFilterForm({"genre": "mystery", "sort": "words"}, projects=[])
    html = str(form["genre"]) + str(form["sort"])
    assert '<option value="mystery" selected>' in html and '<option value="words" selected>' in html
    assert 'name="genre"' in html and 'id="id_genre"' in html
