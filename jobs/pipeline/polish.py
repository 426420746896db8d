"""Stage 08's choice: which drafted segments get a polishing pass, and why.

``off`` sends nothing; ``flagged`` (the default) revises only the segments the
local checks below flag, with the reasons in the prompt; ``every`` revises
every segment (the behaviour before the choice existed). The checks are the
quality report's own measures, applied to one segment: repeated sentences or
phrases, stock phrases, broken dialogue punctuation, a segment well under its
planned length. They cost nothing, so a clean segment costs nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .backends.offline.lang import cliches as cliche_list
from .backends.offline.lang import load_json
from .brief import DEFAULT_POLISH, POLISH_MODES
from .measures import broken_per_1000, repeated_ngrams_per_1000, sentence_repeats
from .text import count_words, words

__all__ = ["DEFAULT_POLISH", "POLISH_MODES", "POLISH_LABELS", "Flag", "flag_segment"]

POLISH_LABELS: dict[str, str] = {
    "off": "Off — the draft as written",
    "flagged": "Flagged segments only — fix what the checks find",
    "every": "Every segment — a full line edit",
}

SHORT_SHARE = 0.7  # under this share of its target a segment counts as short
CLICHES_PER_1000 = 1.0  # stock phrases per 1,000 words that earn a revision
REPEATED_SHARE = 0.03  # share of 5+-word sentences repeating an earlier one
REPEATED_4GRAMS = 90.0  # four-word phrases used again, per 1,000 words (human prose: about 20–70)
BROKEN_PER_1000 = 8.0  # doubled words / gaps before punctuation, per 1,000 words


@dataclass(frozen=True)
class Flag:
    code: str  # "repetition", "cliches", "dialogue_punctuation", "short"
    detail: str  # what the prompt and the report say

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


@cache
def _repeat_limit(language: str) -> float:
    try:
        high = load_json(f"{language}/reference.json")["ranges"]["repeated_4grams"][1]
    except (FileNotFoundError, KeyError, IndexError):
        return REPEATED_4GRAMS
    return max(REPEATED_4GRAMS, 1.3 * float(high))


def _unbalanced_quotes(text: str) -> int:
    """Paragraphs whose quotation marks do not pair up (an opened line of dialogue never closed)."""
    bad = 0
    for para in text.split("\n\n"):
        straight = para.count('"')
        curly = para.count("“") + para.count("„") - para.count("”")
        if straight % 2 or curly:
            bad += 1
    return bad


def flag_segment(text: str, target_words: int, language: str) -> list[Flag]:
    """The reasons segment ``text`` needs a revision (empty: it reads clean)."""
    flags: list[Flag] = []
    n = count_words(text)
    share, _, top = sentence_repeats(text)
    tokens = words(text.lower())
    vocab: dict[str, int] = {}
    rep4 = repeated_ngrams_per_1000([vocab.setdefault(t, len(vocab)) for t in tokens], 4, len(vocab))
    if share > REPEATED_SHARE or rep4 > _repeat_limit(language):
        what = f"the sentence “{top[:80]}” recurs" if share > REPEATED_SHARE else "phrases recur"
        flags.append(Flag("repetition", f"it repeats itself ({what}); vary or cut the repeats"))
    lowered = text.lower()
    found = [c for c in cliche_list(language) if c in lowered]
    count = sum(lowered.count(c) for c in found)
    if n and count * 1000 / n >= CLICHES_PER_1000:
        listed = ", ".join(f"“{c}”" for c in found[:5])
        flags.append(Flag("cliches", f"it leans on stock phrases ({listed}); replace them"))
    unbalanced = _unbalanced_quotes(text)
    if unbalanced or broken_per_1000(text) > BROKEN_PER_1000:
        detail = f"{unbalanced} paragraph(s) with unpaired quotation marks" if unbalanced else "glitches"
        flags.append(
            Flag("dialogue_punctuation", f"its punctuation is broken ({detail}); fix dialogue punctuation")
        )
    if target_words and n < SHORT_SHARE * target_words:
        flags.append(
            Flag("short", f"it is short ({n:,} of {target_words:,} planned words); develop the scenes")
        )
    return flags
