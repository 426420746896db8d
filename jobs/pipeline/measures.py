"""Measures of a text, shared by the quality report and ``bench/reference_ranges.py``.

Each is one linear pass over the words or sentences, so a 500,000-word saga
costs about what its text costs to read.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .backends.offline.lang import load_json
from .plan import SegmentPlan
from .text import count_words, sentences, words

_VOWELS_RE = re.compile(r"[aeiouy]+")
_SENTENCE_RE = re.compile(r"[^.!?…]+[.!?…]+")
_QUOTE_RE = re.compile(r"[“\"„]([^”\"“„\n]*)[”\"]")
# What a slot filled badly leaves behind: a word typed twice ("Chce Chce"), a gap before
# punctuation, doubled or clashing punctuation (".;", ",,"), template markers.
_BROKEN_RE = re.compile(
    r"\b(\w{2,})\s+\1\b|\s[,.;:!?](?!\S*[\"”])|[,;:]\s*[.;:]|\.\s*[,;]|[{}<>\[\]~|]", re.IGNORECASE
)


@cache
def _stop(language: str) -> frozenset[str]:
    try:
        return frozenset(load_json(f"{language}/metrics.json")["coverage_stopwords"])
    except FileNotFoundError:
        return frozenset()


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def _stem(word: str) -> str:
    return word[:5] if len(word) >= 6 else word[: max(3, len(word) - 1)]


def _prefixes(text: str) -> set[str]:
    out: set[str] = set()
    for w in set(words(text.lower())):  # each distinct word once
        out.update((w[:3], w[:4], w[:5], w))
    return out


def _present(phrase: str, prefixes: set[str], share: float, language: str) -> bool:
    content = [w for w in words(phrase.lower()) if len(w) >= 4 and w not in _stop(language)] or words(
        phrase.lower()
    )
    if not content:
        return True
    hits = sum(1 for w in content if _stem(w) in prefixes)
    return hits / len(content) >= share


def plan_coverage(
    segments: list[SegmentPlan], texts: list[str], language: str = "en", narrator: str = ""
) -> tuple[float, list[dict[str, Any]]]:
    """Share of planned characters and key events found in their own segment.

    ``narrator``: the protagonist of a first- or second-person narrative, on every page as "I"/"you"
    rather than by name; their events are looked for without the name.
    """
    total = found = 0
    missing: list[dict[str, Any]] = []
    for seg, text in zip(segments, texts, strict=False):
        prefixes = _prefixes(text)
        for name in seg.characters:
            total += 1
            ok = name == narrator or all(_stem(w) in prefixes for w in words(name.lower())[:1])
            found += ok
            if not ok:
                missing.append({"segment": seg.index, "character": name})
        for event in seg.key_events:
            total += 1
            told = event[len(narrator) :] if narrator and event.startswith(narrator + " ") else event
            ok = _present(told, prefixes, 0.6, language)
            found += ok
            if not ok:
                missing.append({"segment": seg.index, "event": event})
    return (found / total if total else 1.0), missing


def sentence_repeats(text: str, min_words: int = 5) -> tuple[float, float, str]:
    """Repetition of whole sentences of ``min_words``+ words.

    Returns the share of such sentences that repeat an earlier one (case and
    punctuation ignored), the most repeated sentence's count per 10,000 words
    of ``text``, and that sentence.
    """
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    total = 0
    for s in sentences(text):
        ws = words(s.lower())
        if len(ws) < min_words:
            continue
        key = " ".join(ws)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, s)
        total += 1
    if not total:
        return 0.0, 0.0, ""
    repeats = total - len(counts)
    top = max(counts, key=counts.__getitem__)
    n_words = count_words(text) or 1
    return repeats / total, counts[top] * 10_000 / n_words, first[top]


def repeated_ngrams_per_1000(ids: list[int], n: int, vocab: int) -> float:
    """Occurrences of an n-gram beyond its first, per 1,000 words."""
    if len(ids) < n:
        return 0.0
    grams = list(zip(*(ids[k:] for k in range(n)), strict=False))  # tuples hashed in C: a single fast pass
    return (len(grams) - len(set(grams))) * 1000 / len(ids)


def _mtld_pass(tokens: list[str], threshold: float = 0.72) -> float:
    factors = 0.0
    types: set[str] = set()
    count = 0
    for tok in tokens:
        count += 1
        types.add(tok)
        if len(types) / count <= threshold:
            factors += 1
            types, count = set(), 0
    if count:
        ttr = len(types) / count
        factors += (1 - ttr) / (1 - threshold) if ttr < 1 else 0
    return len(tokens) / factors if factors else float(len(tokens))


def mtld(tokens: list[str]) -> float:
    """Measure of Textual Lexical Diversity (McCarthy & Jarvis), both directions averaged."""
    if not tokens:
        return 0.0
    return (_mtld_pass(tokens) + _mtld_pass(tokens[::-1])) / 2


def _syllables(word: str, cache: dict[str, int]) -> int:
    n = cache.get(word)
    if n is None:
        n = len(_VOWELS_RE.findall(word))
        if word.endswith("e") and n > 1 and not word.endswith("le"):
            n -= 1
        n = cache[word] = max(1, n)
    return n


def dialogue_words(text: str) -> int:
    spoken = 0
    for para in text.split("\n"):
        para = para.strip()
        if para.startswith(("—", "–")):  # Polish-style dialogue: spoken parts alternate with tags
            spoken += sum(len(words(p)) for p in para.split("—")[1::2] if p.strip())
        else:
            spoken += sum(len(words(m)) for m in _QUOTE_RE.findall(para))
    return spoken


def _band(x: float, low: float, high: float, fall: float) -> float:
    """1 inside [low, high], falling linearly to 0 over ``fall`` outside it."""
    if x < low:
        return _clamp(1 - (low - x) / fall)
    if x > high:
        return _clamp(1 - (x - high) / fall)
    return 1.0


def broken_per_1000(text: str) -> float:
    """Doubled words, gaps before punctuation, clashing punctuation and leftover markers per 1,000 words."""
    n = count_words(text) or 1
    return sum(1 for _ in _BROKEN_RE.finditer(text)) * 1000 / n


def sentence_lengths(text: str) -> list[int]:
    return [len(s.split()) for s in _SENTENCE_RE.findall(text)] or [0]


def flesch(tokens: list[str], n_sentences: int) -> float:
    cache: dict[str, int] = {}
    n = len(tokens) or 1
    syllables = sum(_syllables(t, cache) for t in tokens)
    return round(206.835 - 1.015 * (n / max(1, n_sentences)) - 84.6 * (syllables / n), 1)
