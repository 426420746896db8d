"""Quality metrics computed locally for every narrative, whatever the backend.

All metrics are single passes over the words (n-gram repeats with a set of
integer-coded n-grams, MTLD forwards and backwards), so they stay linear in
the length of the narrative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .backends.offline.lang import cliches as cliche_list
from .plan import SegmentPlan
from .text import count_words, sentences, words

_STOP = frozenset(
    [
        "with",
        "that",
        "from",
        "into",
        "their",
        "this",
        "when",
        "while",
        "then",
        "them",
        "they",
        "have",
        "been",
        "were",
        "what",
        "which",
        "where",
        "there",
        "about",
        "after",
        "before",
        "under",
        "over",
        "only",
        "also",
        "just",
        "like",
        "than",
        "your",
        "ktoś",
        "który",
        "która",
        "które",
        "przez",
        "przed",
        "jego",
        "oraz",
        "albo",
        "tylko",
        "jest",
        "była",
        "było",
        "więc",
        "żeby",
        "gdzie",
        "kiedy",
    ]
)
_VOWELS_RE = re.compile(r"[aeiouy]+")
_SENTENCE_RE = re.compile(r"[^.!?…]+[.!?…]+")
_QUOTE_RE = re.compile(r"[“\"„]([^”\"“„\n]*)[”\"]")

# Weights of the overall score (see ``overall_score``).
WEIGHTS: dict[str, float] = {
    "plan_coverage": 0.25,
    "length_accuracy": 0.15,
    "repetition": 0.15,
    "lexical_diversity": 0.15,
    "cliche_density": 0.10,
    "sentence_variation": 0.10,
    "dialogue_share": 0.05,
    "readability": 0.05,
    "coherence_judgment": 0.20,
}


@dataclass
class Metric:
    value: float | None
    explanation: str
    score: float | None = None  # the 0..1 contribution to the overall score
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "explanation": self.explanation, "score": self.score}
        out.update(self.extra)
        return out


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def _stem(word: str) -> str:
    return word[:5] if len(word) >= 6 else word[: max(3, len(word) - 1)]


def _prefixes(text: str) -> set[str]:
    out: set[str] = set()
    for w in words(text.lower()):
        out.update((w[:3], w[:4], w[:5], w))
    return out


def _present(phrase: str, prefixes: set[str], share: float) -> bool:
    content = [w for w in words(phrase.lower()) if len(w) >= 4 and w not in _STOP] or words(phrase.lower())
    if not content:
        return True
    hits = sum(1 for w in content if _stem(w) in prefixes)
    return hits / len(content) >= share


def plan_coverage(segments: list[SegmentPlan], texts: list[str]) -> tuple[float, list[dict[str, Any]]]:
    """Share of planned characters and key events found in their own segment."""
    total = found = 0
    missing: list[dict[str, Any]] = []
    for seg, text in zip(segments, texts, strict=False):
        prefixes = _prefixes(text)
        for name in seg.characters:
            total += 1
            ok = all(_stem(w) in prefixes for w in words(name.lower())[:1])
            found += ok
            if not ok:
                missing.append({"segment": seg.index, "character": name})
        for event in seg.key_events:
            total += 1
            ok = _present(event, prefixes, 0.6)
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
    seen: set[int] = set()
    repeats = 0
    base = vocab + 1
    for i in range(len(ids) - n + 1):
        key = 0
        for j in range(n):
            key = key * base + ids[i + j]
        if key in seen:
            repeats += 1
        else:
            seen.add(key)
    return repeats * 1000 / len(ids)


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


def compute_quality(
    texts: list[str],
    segments: list[SegmentPlan],
    target_words: int,
    language: str,
    coherence: float | None = None,
) -> tuple[dict[str, dict[str, Any]], float]:
    """Metrics for the segment texts and the overall score; see ``overall_score``."""
    full = "\n\n".join(texts)
    tokens = words(full.lower())
    n = len(tokens) or 1
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(t, len(vocab)) for t in tokens]
    coverage, missing = plan_coverage(segments, texts)
    rep3 = repeated_ngrams_per_1000(ids, 3, len(vocab))
    rep4 = repeated_ngrams_per_1000(ids, 4, len(vocab))
    diversity = mtld(tokens)
    lowered = full.lower()
    cliche_hits = sum(lowered.count(c) for c in cliche_list(language))
    cliche_rate = cliche_hits * 1000 / n
    lengths = [len(s.split()) for s in _SENTENCE_RE.findall(full)] or [0]
    mean = sum(lengths) / len(lengths)
    var = sum((x - mean) ** 2 for x in lengths) / len(lengths)
    cv = (var**0.5) / mean if mean else 0.0
    dialogue = dialogue_words(full) / n
    accuracy = _clamp(1 - abs(len(tokens) - target_words) / target_words) if target_words else 0.0
    readability: float | None = None
    if language == "en":
        cache: dict[str, int] = {}
        syllables = sum(_syllables(t, cache) for t in tokens)
        readability = round(206.835 - 1.015 * (n / len(lengths)) - 84.6 * (syllables / n), 1)

    m: dict[str, Metric] = {
        "plan_coverage": Metric(
            round(coverage, 4),
            "Share of planned characters and key events that appear in their segment.",
            coverage,
            {"missing": missing[:50]},
        ),
        "repetition": Metric(
            round(rep4, 2),
            "Repeated 4-grams per 1,000 words (repeated 3-grams alongside); lower is better.",
            _clamp(1 - (rep4 - 30) / 400),
            {"trigrams_per_1000": round(rep3, 2)},
        ),
        "lexical_diversity": Metric(
            round(diversity, 1),
            "MTLD lexical diversity; around 70–100 is typical of edited fiction.",
            _clamp(diversity / 80),
        ),
        "cliche_density": Metric(
            round(cliche_rate, 3),
            "Stock phrases from the language's cliché list per 1,000 words.",
            _clamp(1 - cliche_rate / 2),
        ),
        "sentence_variation": Metric(
            round(cv, 3),
            "Coefficient of variation of sentence length; 0.4–0.8 reads as varied.",
            _band(cv, 0.4, 0.8, 0.4),
        ),
        "dialogue_share": Metric(
            round(dialogue, 3), "Share of words spoken in dialogue.", _band(dialogue, 0.1, 0.5, 0.2)
        ),
        "readability": Metric(
            readability,
            "Flesch reading ease (English only; higher is easier).",
            None if readability is None else _band(readability, 50, 85, 40),
        ),
        "length_accuracy": Metric(
            round(accuracy, 4),
            f"How close the {len(tokens):,} words came to the {target_words:,}-word target (1 is exact).",
            accuracy,
        ),
    }
    if coherence is not None:
        m["coherence_judgment"] = Metric(
            round(coherence, 3), "The model's own 0–1 judgment of coherence (stage 07).", coherence
        )
    metrics = {k: v.to_dict() for k, v in m.items()}
    return metrics, overall_score(metrics)


def overall_score(metrics: dict[str, dict[str, Any]]) -> float:
    """Weighted mean of the metrics' 0..1 scores, rounded to 3 places.

    score = Σ wᵢ·sᵢ / Σ wᵢ over metrics that have a score, with weights
    plan_coverage 0.25, length_accuracy 0.15, repetition 0.15,
    lexical_diversity 0.15, cliche_density 0.10, sentence_variation 0.10,
    dialogue_share 0.05, readability 0.05 (English only) and, when a model
    judged coherence, coherence_judgment 0.20. Sub-scores: coverage and length
    accuracy as they are; repetition 1 − (r₄ − 30)/400; diversity MTLD/80;
    clichés 1 − density/2; sentence variation 1 in 0.4–0.8; dialogue 1 in
    10–50%; readability 1 for Flesch 50–85 — each clamped to 0..1 and falling
    off linearly outside its band.
    """
    num = den = 0.0
    for name, weight in WEIGHTS.items():
        score = metrics.get(name, {}).get("score")
        if score is not None:
            num += weight * score
            den += weight
    return round(num / den, 3) if den else 0.0
