from __future__ import annotations

import json

import pytest

from jobs.pipeline import GENRES, LANGUAGES, PRODUCTION_TYPES, Brief, BriefError

from .conftest import make_brief


def test_it_fills_defaults_per_type_and_round_trips_to_json() -> None:
    brief = Brief.from_dict(
        {"production_type": "novella", "genre": "drama", "inspiration": "  Two sisters.  "}
    )
    assert brief.target_words == 25_000
    assert brief.inspiration == "Two sisters."
    assert (brief.language, brief.tone, brief.structure, brief.pov, brief.tense) == (
        "en",
        "neutral",
        "three_act",
        "third_limited",
        "past",
    )
    again = Brief.from_dict(json.loads(json.dumps(brief.to_dict())))
    assert again == brief


def test_it_refuses_an_unknown_genre_naming_the_field_and_allowed_values() -> None:
    with pytest.raises(BriefError) as err:
        make_brief(genre="western")
    assert err.value.field == "genre"
    assert err.value.allowed == list(GENRES)
    assert "genre" in str(err.value) and "fantasy" in str(err.value)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [("production_type", "poem", list(PRODUCTION_TYPES)), ("language", "de", list(LANGUAGES))],
)
def test_it_refuses_unknown_types_and_languages(field: str, value: str, allowed: list[str]) -> None:
    with pytest.raises(BriefError) as err:
        make_brief(**{field: value})
    assert err.value.field == field
    assert err.value.allowed == allowed


def test_it_refuses_an_empty_or_over_long_inspiration() -> None:
    with pytest.raises(BriefError, match="inspiration: must not be empty"):
        make_brief(inspiration="   ")
    with pytest.raises(BriefError, match="at most 4000") as err:
        make_brief(inspiration="x" * 4001)
    assert err.value.field == "inspiration"


def test_it_refuses_wrong_typed_fields() -> None:
    with pytest.raises(BriefError) as err:
        make_brief(target_words="7000")
    assert err.value.field == "target_words"
    with pytest.raises(BriefError) as err:
        make_brief(target_words=True)
    assert err.value.field == "target_words"
    with pytest.raises(BriefError) as err:
        make_brief(title=42)
    assert err.value.field == "title"
    with pytest.raises(BriefError) as err:
        make_brief(review_plan="yes")
    assert err.value.field == "review_plan"


def test_it_refuses_a_target_outside_the_types_range() -> None:
    assert Brief.type_range("novel") == (40_000, 120_000)
    with pytest.raises(BriefError) as err:
        make_brief(production_type="novel", target_words=30_000)
    assert err.value.field == "target_words"
    assert err.value.allowed == [40_000, 120_000]


def test_it_refuses_unknown_keys_and_malformed_worlds() -> None:
    with pytest.raises(BriefError) as err:
        Brief.from_dict({"production_type": "novel", "genre": "drama", "inspiration": "x", "colour": "red"})
    assert err.value.field == "colour"
    with pytest.raises(BriefError) as err:
        make_brief(world={"world": {"laws": []}})
    assert err.value.field == "world"


def test_a_directly_built_brief_is_validated_too() -> None:
    with pytest.raises(BriefError):
        Brief(production_type="short_story", genre="nope", inspiration="x")
    assert Brief(production_type="epic_saga", genre="hybrid", inspiration="x").target_words == 200_000
