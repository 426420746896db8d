"""The quality report: metrics a writer can read, each beside the range human prose shows.

Every metric carries a writer-facing ``label``, its ``value`` and a ``display``
string, the ``typical`` range measured on real text of the same language
(``data/<lang>/reference.json``, written by ``bench/reference_ranges.py``,
which names its source), and a 0..1 ``score``. The overall score is the
weighted mean of the scores, multiplied down by repetition and by broken
slots, so a text that loops or prints gaps cannot score well however varied
its words are. Polish text is measured with Polish words, stop words, cliché
list and reference ranges; Flesch reading ease is English only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .backends.offline.lang import cliches as cliche_list
from .backends.offline.lang import load_json
from .measures import (
    _band,
    _clamp,
    broken_per_1000,
    dialogue_words,
    flesch,
    mtld,
    plan_coverage,
    repeated_ngrams_per_1000,
    sentence_lengths,
    sentence_repeats,
)
from .plan import SegmentPlan
from .text import words

__all__ = [
    "narrator_of",
    "WEIGHTS",
    "compute_quality",
    "mtld",
    "overall_score",
    "plan_coverage",
    "repeated_ngrams_per_1000",
]


def narrator_of(pov: str, cast_names: list[str]) -> str:
    """Who says "I" (or is "you"): the protagonist, in a first- or second-person narrative."""
    return cast_names[0] if pov in ("first", "second") and cast_names else ""


# Weights of the overall score (see ``overall_score``).
WEIGHTS: dict[str, float] = {
    "plan_coverage": 0.20,
    "length_accuracy": 0.10,
    "repeated_sentences": 0.15,
    "repetition": 0.10,
    "broken_slots": 0.10,
    "lexical_diversity": 0.10,
    "cliche_density": 0.05,
    "sentence_variation": 0.05,
    "dialogue_share": 0.05,
    "readability": 0.05,
    "coherence_judgment": 0.20,
}


@dataclass
class Metric:
    label: str
    value: float | None
    display: str
    explanation: str
    typical: str = ""
    score: float | None = None  # the 0..1 contribution to the overall score
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "value": self.value,
            "display": self.display,
            "explanation": self.explanation,
            "typical": self.typical,
            "score": self.score,
        }
        out.update(self.extra)
        return out


@cache
def reference(language: str) -> dict[str, Any]:
    try:
        return load_json(f"{language}/reference.json")
    except FileNotFoundError:
        return {"source": "", "ranges": {}}


def _typical(language: str, key: str, fmt: str) -> tuple[str, float | None, float | None]:
    ref = reference(language)
    lo_hi = ref.get("ranges", {}).get(key)
    if not lo_hi:
        return "", None, None
    lo, hi = lo_hi
    where = ref.get("short", "human prose")
    if lo == hi == 0:
        return f"none in {where}", lo, hi
    return f"{fmt.format(lo)}–{fmt.format(hi)} in {where}", lo, hi


def compute_quality(
    texts: list[str],
    segments: list[SegmentPlan],
    target_words: int,
    language: str,
    coherence: float | None = None,
    narrator: str = "",
) -> tuple[dict[str, dict[str, Any]], float]:
    """Metrics for the segment texts and the overall score; see ``overall_score``.

    ``narrator``: the protagonist's name when the story is told as "I" or "you".
    """
    full = "\n\n".join(texts)
    tokens = words(full.lower())
    n = len(tokens) or 1
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(t, len(vocab)) for t in tokens]
    coverage, missing = plan_coverage(segments, texts, language, narrator)
    rep4 = repeated_ngrams_per_1000(ids, 4, len(vocab))
    share, top, top_sentence = sentence_repeats(full)
    broken = broken_per_1000(full)
    diversity = mtld(tokens)
    lowered = full.lower()
    cliche_rate = sum(lowered.count(c) for c in cliche_list(language)) * 1000 / n
    lengths = sentence_lengths(full)
    mean = sum(lengths) / len(lengths)
    cv = ((sum((x - mean) ** 2 for x in lengths) / len(lengths)) ** 0.5) / mean if mean else 0.0
    dialogue = dialogue_words(full) / n
    accuracy = _clamp(1 - abs(len(tokens) - target_words) / target_words) if target_words else 0.0

    t_share, _, share_hi = _typical(language, "repeated_sentences", "{:.1%}")
    t_rep, _, rep_hi = _typical(language, "repeated_4grams", "{:.0f}")
    t_div, div_lo, div_hi = _typical(language, "mtld", "{:.0f}")
    t_cv, cv_lo, cv_hi = _typical(language, "sentence_cv", "{:.2f}")
    t_cl, _, cl_hi = _typical(language, "cliches", "{:.2f}")
    share_hi, rep_hi, cl_hi = share_hi or 0.01, rep_hi or 40.0, cl_hi or 0.5
    m: dict[str, Metric] = {
        "plan_coverage": Metric(
            "Follows the plan",
            round(coverage, 4),
            f"{coverage:.0%}",
            "Planned characters and key events that appear in their own chapter.",
            "100% when every planned person and event is on the page",
            coverage,
            {"missing": missing[:50]},
        ),
        "length_accuracy": Metric(
            "Length on target",
            round(accuracy, 4),
            f"{len(tokens):,} of {target_words:,} words",
            "How close the text came to the target length (100% is exact).",
            "",
            accuracy,
        ),
        "repeated_sentences": Metric(
            "Repeated sentences",
            round(share, 4),
            f"{share:.1%}",
            "Sentences of five or more words that repeat an earlier one"
            + (
                f"; the most repeated appears {top:.1f} times per 10,000 words: “{top_sentence[:80]}”"
                if share
                else ""
            )
            + ". Lower is better.",
            t_share,
            _clamp(1 - max(0.0, share - share_hi) / 0.1),
            {"top_per_10k": round(top, 2), "top_sentence": top_sentence[:200]},
        ),
        "repetition": Metric(
            "Repeated phrases",
            round(rep4, 2),
            f"{rep4:.0f} per 1,000 words",
            "Four-word phrases used again (“at the end of”), per 1,000 words. Lower is better.",
            t_rep,
            _clamp(1 - max(0.0, rep4 - rep_hi) / (3 * rep_hi)),
        ),
        "broken_slots": Metric(
            "Grammar glitches",
            round(broken, 2),
            f"{broken:.1f} per 1,000 words",
            "Doubled words, punctuation with a gap before it or clashing with more punctuation, "
            "and leftover template marks. Edited prose has next to none.",
            "close to 0 in edited prose",
            _clamp(1 - broken / 3),
        ),
        "lexical_diversity": Metric(
            "Vocabulary variety",
            round(diversity, 1),
            f"MTLD {diversity:.0f}",
            "How long the text keeps using new words before it starts repeating (MTLD). "
            + ("Polish inflection gives higher values than English." if language == "pl" else ""),
            t_div,
            _band(diversity, div_lo or 60, div_hi or 120, (div_lo or 60) * 0.6),
        ),
        "cliche_density": Metric(
            "Stock phrases",
            round(cliche_rate, 3),
            f"{cliche_rate:.2f} per 1,000 words",
            "Phrases from the language's cliché list, per 1,000 words. Lower is better.",
            t_cl,
            _clamp(1 - max(0.0, cliche_rate - cl_hi) / 2),
        ),
        "sentence_variation": Metric(
            "Sentence rhythm",
            round(cv, 3),
            f"{cv:.2f}",
            "How much sentence lengths vary (standard deviation over mean): low reads as monotonous.",
            t_cv,
            _band(cv, cv_lo or 0.4, cv_hi or 0.8, 0.3),
        ),
        "dialogue_share": Metric(
            "Dialogue",
            round(dialogue, 3),
            f"{dialogue:.0%} of words",
            "Share of the words spoken by characters. Not compared with measured text: the reference "
            "texts on this machine are not fiction; novels commonly run between 10% and 50%.",
            "10–50% in many novels (convention, not measured here)",
            _band(dialogue, 0.1, 0.5, 0.2),
        ),
    }
    if language == "en":
        ease = flesch(tokens, len(lengths))
        t_fl, fl_lo, _ = _typical(language, "flesch", "{:.0f}")
        m["readability"] = Metric(
            "Reading ease",
            ease,
            f"Flesch {ease:.0f}",
            "Flesch reading ease: higher is easier; fiction usually reads easier than the reference text.",
            t_fl,
            _band(ease, fl_lo or 50, 90, 40),
        )
    else:
        m["readability"] = Metric(
            "Reading ease",
            None,
            "—",
            "Flesch reading ease is defined for English only; it is not computed for this language.",
        )
    if coherence is not None:
        m["coherence_judgment"] = Metric(
            "Coherence (model's judgment)",
            round(coherence, 3),
            f"{coherence:.2f}",
            "The model's own 0–1 judgment of continuity and causality (stage 07).",
            "",
            coherence,
        )
    metrics = {k: v.to_dict() for k, v in m.items()}
    return metrics, overall_score(metrics)


def overall_score(metrics: dict[str, dict[str, Any]]) -> float:
    """Weighted mean of the metrics' 0..1 scores, times the repetition and glitch factors.

    mean = Σ wᵢ·sᵢ / Σ wᵢ over the metrics that have a score (weights in
    ``WEIGHTS``); then × (1 − 0.6·min(1, repeated-sentence share / 20%)) and
    × (1 − 0.6·min(1, glitches per 1,000 words / 5)). A text where a fifth of
    the sentences are repeats, or with five glitches per 1,000 words, keeps at
    most 40% of its score. Rounded to 3 places.
    """
    num = den = 0.0
    for name, weight in WEIGHTS.items():
        score = metrics.get(name, {}).get("score")
        if score is not None:
            num += weight * score
            den += weight
    mean = num / den if den else 0.0
    share = float(metrics.get("repeated_sentences", {}).get("value") or 0.0)
    broken = float(metrics.get("broken_slots", {}).get("value") or 0.0)
    mean *= 1 - 0.6 * min(1.0, share / 0.2)
    mean *= 1 - 0.6 * min(1.0, broken / 5)
    return round(mean, 3)
