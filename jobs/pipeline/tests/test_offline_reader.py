"""The offline engine read as a writer reads it: their people, their point of view, no loops.

Every test here runs the real engine and reads the text it wrote, in English
and in Polish.
"""

from __future__ import annotations

import re

import pytest

from jobs.pipeline import run_pipeline
from jobs.pipeline.measures import sentence_repeats

from .conftest import make_brief

EN = (
    "The lighthouse keeper is called Mira Vell; her estranged brother Tomas is a smuggler. "
    "A storm is coming to the island of Ketha."
)
PL = (
    "Latarniczka Jadwiga Żmuda przewozi listy przez Wisłę. "
    "Syn nazywa się Kazimierz i chce wyjechać do Gdańska."
)
PEOPLE = {
    "en": (EN, "Mira Vell", "f", "Tomas", "m", ["Ketha"]),
    "pl": (PL, "Jadwiga Żmuda", "f", "Kazimierz", "m", ["Wisła", "Gdańsk"]),
}


def _narration(text: str, language: str) -> str:
    """The narrator's words: dialogue taken out (English quotes; Polish dash-led spoken parts)."""
    out = []
    for para in text.split("\n"):
        if para.startswith("## "):
            continue
        if language == "en":
            out.append(re.sub(r"“[^”]*”", " ", para))
        else:
            out.append(" ".join(para.split("— ")[0::2]) if para.startswith("—") else para)
    return "\n".join(out)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_named_people_are_the_cast_on_the_page_and_never_places(language, offline) -> None:
    inspiration, hero, hero_gender, other, other_gender, places = PEOPLE[language]
    result = run_pipeline(
        make_brief(language=language, inspiration=inspiration, genre="mystery"), backend=offline
    )
    cast = {c["name"]: c for c in result.plan["characters"]}
    assert result.plan["characters"][0]["name"] == hero  # the first named is the protagonist
    assert cast[hero]["gender"] == hero_gender and cast[other]["gender"] == other_gender
    locations = [loc["name"] for loc in result.plan["world"]["locations"]]
    assert not {hero, other} & set(locations)
    assert set(places) <= set(locations)
    assert result.text.count(hero) >= 10 and result.text.count(other) >= 5


def test_the_protagonist_is_who_the_text_says_it_follows(offline) -> None:
    brief = make_brief(inspiration="The story follows Tomas, who meets Mira Vell on the island of Ketha.")
    result = run_pipeline(brief, backend=offline)
    assert [c["name"] for c in result.plan["characters"][:2]] == ["Tomas", "Mira Vell"]


def test_polish_sisters_named_in_the_text_are_two_women(offline) -> None:
    brief = make_brief(
        language="pl", inspiration="Dwie siostry, Zofia i Helena, dziedziczą piekarnię w Toruniu."
    )
    result = run_pipeline(brief, backend=offline)
    cast = {c["name"]: c["gender"] for c in result.plan["characters"]}
    assert cast["Zofia"] == "f" and cast["Helena"] == "f"
    assert "Toruń" in [loc["name"] for loc in result.plan["world"]["locations"]]


@pytest.mark.parametrize(
    ("language", "pov", "tense"),
    [
        ("en", "first", "present"),
        ("en", "second", "past"),
        ("en", "third_limited", "present"),
        ("pl", "first", "past"),
        ("pl", "second", "present"),
        ("pl", "third_omniscient", "past"),
    ],
)
def test_narration_is_in_the_asked_point_of_view_and_tense(language, pov, tense, offline) -> None:
    inspiration, hero = PEOPLE[language][0], PEOPLE[language][1]
    brief = make_brief(language=language, inspiration=inspiration, pov=pov, tense=tense, target_words=6000)
    result = run_pipeline(brief, backend=offline)
    narration = _narration(result.text, language)
    words = _words(narration)
    if language == "en":
        first, second = words.count("i") + words.count("my"), words.count("you") + words.count("your")
        past = sum(words.count(w) for w in ("was", "were", "had", "said"))
        present = sum(words.count(w) for w in ("is", "are", "has", "have", "says", "say", "am"))
    else:
        first = sum(1 for w in words if w.endswith(("łam", "łem")) or w in ("jestem", "mam"))
        second = sum(1 for w in words if w.endswith(("łaś", "łeś", "sz")) and len(w) > 4)
        past = sum(1 for w in words if re.search(r"(ł|ła|ło|li|ły|łam|łem|łaś|łeś)$", w))
        present = len(words) * 0.1  # Polish present forms have no single ending: judged by the past share
    if pov == "first":
        assert first > 60 and narration.count(hero) <= 3
    elif pov == "second":
        assert second > 40 and narration.count(hero) <= 3
    else:
        assert narration.count(hero) > 20
        if language == "en":
            assert first < 3 and second < 3
    if (
        tense == "present"
    ):  # Polish counts some nouns ("stół") as past forms: a looser bound, still far from 17%
        assert past < (0.25 if language == "en" else 0.5) * present, (past, present)
    else:
        assert past > present * (1.0 if language == "pl" else 2), (past, present)
    # Dialogue keeps its own voice: people still speak to each other as "you".
    spoken = result.text.replace(narration, "") if language == "en" else result.text
    assert " you" in spoken.lower() or " ci" in spoken.lower() or "cię" in spoken.lower()


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize(("ptype", "words"), [("short_story", 7500), ("novella", 25000), ("novel", 100000)])
def test_no_sentence_loops_in_a_short_story_a_novella_or_a_novel(language, ptype, words, offline) -> None:
    brief = make_brief(
        language=language, inspiration=PEOPLE[language][0], production_type=ptype, target_words=words
    )
    result = run_pipeline(brief, backend=offline)
    share, top_per_10k, top = sentence_repeats(result.text)
    assert share <= 0.03, (share, top)
    assert top_per_10k <= 4, (top_per_10k, top)
    titles = [c["title"] for c in result.metadata["chapters"]]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_200_chapter_saga_has_200_distinct_chapter_titles(language, offline) -> None:
    brief = make_brief(language=language, production_type="epic_saga", target_words=500_000, review_plan=True)
    plan = run_pipeline(brief, backend=offline).plan
    titles = [s["title"] for s in plan["segments"]]
    assert len(titles) == 200 and len(set(titles)) == 200
    assert not any("{" in t or t.endswith((" a", " the", " an")) for t in titles)


_BROKEN = re.compile(r"\b(\w{2,}) \1\b|[{}<>\[\]~|]| [,.;:!?]|[,;:][.;:]|\.\.(?!\.)|,\s*,", re.IGNORECASE)


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("pov", ["first", "second", "third_limited"])
def test_no_doubled_words_or_empty_slots(language, pov, offline) -> None:
    notes = (
        "Tomas hides brandy in the boathouse at Skerry Point. The year is 1952."
        if language == "en"
        else "Kazimierz ukrywa listy w szopie nad Wisłą. Jest rok 1946."
    )
    brief = make_brief(
        language=language, inspiration=PEOPLE[language][0], world_notes=notes, pov=pov, tense="present"
    )
    text = run_pipeline(brief, backend=offline).text
    problems = [text[max(0, m.start() - 40) : m.end() + 40] for m in _BROKEN.finditer(text)]
    assert not problems, problems[:5]


def test_edited_plan_fields_are_told_in_the_narrative_tense(offline) -> None:
    brief = make_brief(inspiration=EN, tense="past")
    plan = run_pipeline(make_brief(inspiration=EN, tense="past", review_plan=True), backend=offline).plan
    seg = plan["segments"][0]
    seg["title"] = "The Wreck at Dawn"
    seg["summary"] = "Mira Vell rows out to the wreck at dawn."
    seg["key_events"] = ["Tomas hides the brandy under the nets.", "Mira Vell finds a letter in the hold;"]
    seg["characters"] = ["Mira Vell", "Tomas"]
    first = run_pipeline(brief, backend=offline, plan=plan).text.split("\n## ")[0]
    assert first.startswith("## The Wreck at Dawn")
    assert "Mira Vell rowed out to the wreck at dawn." in first
    assert "Tomas hid the brandy under the nets" in first
    assert "Mira Vell found a letter in the hold" in first
    assert "hold;" not in first and "rows out" not in first


def test_polish_edited_events_are_inflected_into_the_past(offline) -> None:
    plan = run_pipeline(make_brief(language="pl", inspiration=PL, review_plan=True), backend=offline).plan
    plan["segments"][0]["key_events"] = ["Kazimierz ukrywa listy w szopie"]
    plan["segments"][0]["characters"] = ["Jadwiga Żmuda", "Kazimierz"]
    text = run_pipeline(make_brief(language="pl", inspiration=PL), backend=offline, plan=plan).text.replace(
        "\xa0", " "
    )
    assert "Kazimierz ukrywał listy w szopie" in text.split("\n## ")[0]


@pytest.mark.parametrize(
    ("language", "notes", "absent"),
    [
        (
            "pl",
            "Rok 1946. Dom stoi nad Wisłą, niedaleko Torunia.",
            ("autobus", "kaset", "telefon", "mew", "pływów", "morz"),
        ),
        (
            "en",
            "The year is 1946. The house stands by the river in an inland town.",
            ("bus ", "cassette", "phone", "gull", "tide"),
        ),
    ],
)
def test_setting_vocabulary_follows_the_world(language, notes, absent, offline) -> None:
    inspiration = (
        PL
        if language == "pl"
        else "Edith Marsh keeps the ledger of a mill by the river; her son Arthur wants to leave."
    )
    brief = make_brief(
        language=language, inspiration=inspiration, world_notes=notes, genre="drama", target_words=8000
    )
    text = run_pipeline(brief, backend=offline).text.lower()
    assert not [w for w in absent if w in text]
