"""The local wire-format server's prose: varied, deterministic, and flagged only where it slips."""

from __future__ import annotations

import pytest

from jobs.pipeline.polish import flag_segment
from jobs.pipeline.testing_prose import draft, line_edit
from jobs.pipeline.text import count_words

PROMPT = (
    "THIS SEGMENT\nSegment {i} — “The Glass Market” (act 1).\n"
    "Location: the Glass Market. Stalls of blown glass.\n"
    "Characters on stage: Mira Holt, Jonas Reed.\nKey events (all must happen on the page):\n"
    "- Mira Holt finds the brass key\n- Jonas Reed burns the map\n\nWrite segment {i} now: about 1500 words."
)


def test_the_same_request_gets_the_same_passage_and_another_request_another() -> None:
    assert draft(PROMPT.format(i=1), 1500) == draft(PROMPT.format(i=1), 1500)
    assert draft(PROMPT.format(i=1), 1500) != draft(PROMPT.format(i=2), 1500)


def test_a_passage_without_a_slip_passes_the_checks_and_brings_on_its_cast_and_events() -> None:
    for i in range(30):
        text = draft(PROMPT.format(i=i), 1500, {})
        assert flag_segment(text, 1500, "en") == [], i
        assert "Mira Holt" in text and "Jonas Reed burns the map" in text
        assert 1500 <= count_words(text) <= 1600


@pytest.mark.parametrize(
    ("slip", "code"), [("loop", "repetition"), ("cliches", "cliches"), ("unclosed", "dialogue_punctuation")]
)
def test_each_slip_is_flagged_by_its_check_and_the_line_edit_fixes_it(slip: str, code: str) -> None:
    for i in range(10):
        prompt = PROMPT.format(i=i)
        text = draft(prompt, 1500, {slip: 1.0})
        assert code in [f.code for f in flag_segment(text, 1500, "en")]
        edited = line_edit(prompt, text, count_words(text))
        assert flag_segment(edited, 1500, "en") == []
        assert count_words(edited) >= 0.97 * count_words(text)


def test_a_clean_passage_comes_back_from_the_line_edit_as_it_was_sent() -> None:
    text = draft(PROMPT.format(i=3), 1500, {})
    assert line_edit(PROMPT.format(i=3), text, count_words(text)) == text


def test_the_usual_slips_flag_a_minority_of_passages() -> None:
    flagged = sum(bool(flag_segment(draft(PROMPT.format(i=i), 1500), 1500, "en")) for i in range(200))
    assert 20 <= flagged <= 60  # FLAW_RATES: about 19 % of passages slip
