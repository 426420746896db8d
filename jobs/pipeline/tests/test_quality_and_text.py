from __future__ import annotations

import pytest

from jobs.pipeline import Chapter, chapters_from_text
from jobs.pipeline.plan import SegmentPlan
from jobs.pipeline.quality import compute_quality, mtld, overall_score, repeated_ngrams_per_1000


def _seg(**kw) -> SegmentPlan:
    data = dict(
        index=1,
        act=1,
        title="T",
        summary="S",
        key_events=["Mara uncovers the sealed ledger"],
        characters=["Mara", "Tobren"],
        location="the Citadel",
        target_words=100,
    )
    data.update(kw)
    return SegmentPlan(**data)


def test_chapters_are_split_on_level_two_headings() -> None:
    text = "## One\n\nFirst para.\n\nSecond para.\n\n## Two\n\nThird."
    assert chapters_from_text(text) == [
        Chapter("One", "First para.\n\nSecond para."),
        Chapter("Two", "Third."),
    ]
    assert chapters_from_text("Just prose.") == [Chapter("", "Just prose.")]
    assert chapters_from_text("") == []


def test_repetition_counts_repeated_ngrams_per_thousand_words() -> None:
    assert repeated_ngrams_per_1000(list(range(1000)), 3, 1000) == 0
    looped = [0, 1, 2, 3] * 250  # after the first 4-gram every one repeats
    assert repeated_ngrams_per_1000(looped, 4, 4) == pytest.approx(993, abs=1)


def test_mtld_rewards_varied_vocabulary() -> None:
    varied = [f"w{i}" for i in range(500)]
    dull = ["the", "cat", "sat"] * 200
    assert mtld(varied) > 100 > mtld(dull)


def test_plan_coverage_finds_inflected_events_and_reports_what_is_missing() -> None:
    metrics, _ = compute_quality(
        ["By dusk, Mara uncovered the sealed ledger while Tobren watched."], [_seg()], 10, "en"
    )
    assert metrics["plan_coverage"]["value"] == 1.0
    metrics, _ = compute_quality(["Mara slept."], [_seg()], 10, "en")
    assert metrics["plan_coverage"]["value"] == pytest.approx(1 / 3, abs=1e-3)
    missing = metrics["plan_coverage"]["missing"]
    assert {"segment": 1, "character": "Tobren"} in missing
    polish = _seg(key_events=["Marta odkrywa zapieczętowaną księgę"], characters=["Marta"])
    metrics, _ = compute_quality(["O zmierzchu Marta odkryła zapieczętowaną księgę."], [polish], 10, "pl")
    assert metrics["plan_coverage"]["value"] == 1.0


def test_cliches_dialogue_and_readability_are_measured() -> None:
    text = (
        '"Little did she know," Mara said. It was a dark and stormy night. '
        "Time stood still. The cat sat on the mat."
    )
    metrics, score = compute_quality([text], [], 25, "en")
    assert metrics["cliche_density"]["value"] > 50
    assert 0 < metrics["dialogue_share"]["value"] < 0.3
    assert metrics["readability"]["value"] > 60
    assert 0.0 <= score <= 1.0
    for m in metrics.values():
        assert m["explanation"] and "value" in m


def test_the_overall_score_is_a_weighted_mean_of_subscores() -> None:
    assert overall_score(
        {"plan_coverage": {"score": 1.0}, "length_accuracy": {"score": 0.0}}
    ) == pytest.approx(0.20 / 0.30, abs=1e-3)
    assert overall_score({"readability": {"score": None}}) == 0.0


def test_polish_has_no_flesch_score_and_uses_its_own_cliche_list() -> None:
    metrics, _ = compute_quality(["To była cisza przed burzą. Serce zabiło mocniej."], [], 8, "pl")
    assert metrics["readability"]["value"] is None
    assert metrics["cliche_density"]["value"] > 0


_VARIED = (
    "Mara crossed the yard before dawn. The gate had been left open, which worried her more than she "
    "admitted. Tobren was already in the kitchen, counting spoons as if one had gone missing. "
    '"You\'re early," he said. She shrugged and reached for the kettle. Outside, the dogs began to bark '
    "at something neither of them could see. By the time the water boiled, the barking had stopped. "
)


def test_the_overall_score_falls_when_the_text_loops() -> None:
    looped = " ".join([_VARIED] * 5)
    _, fresh_score = compute_quality([_VARIED], [], 100, "en")
    metrics, looped_score = compute_quality([looped], [], 500, "en")
    assert metrics["repeated_sentences"]["value"] > 0.7
    assert "Mara crossed the yard before dawn" in metrics["repeated_sentences"]["explanation"]
    assert looped_score < 0.5 * fresh_score


def test_the_overall_score_falls_with_broken_slots() -> None:
    broken = _VARIED.replace("the kettle", "the the kettle ,").replace("the yard", "{L} ;.")
    metrics, broken_score = compute_quality([broken * 2], [], 200, "en")
    _, clean_score = compute_quality([_VARIED * 2], [], 200, "en")
    assert metrics["broken_slots"]["value"] > 5
    assert broken_score < 0.6 * clean_score


@pytest.mark.parametrize("language", ["en", "pl"])
def test_each_metric_has_a_label_and_the_measured_ranges_name_their_source(language) -> None:
    metrics, _ = compute_quality(["Mara slept. Tobren watched the door all night long."], [], 10, language)
    for key in ("repeated_sentences", "repetition", "lexical_diversity", "sentence_variation"):
        assert metrics[key]["label"] and metrics[key]["display"]
        assert "–" in metrics[key]["typical"]
        assert ("Python's documentation" if language == "en" else "Polish manual pages") in metrics[key][
            "typical"
        ]


def test_polish_vocabulary_variety_is_judged_against_polish_text() -> None:
    en, _ = compute_quality([_VARIED], [], 100, "en")
    pl, _ = compute_quality([_VARIED], [], 100, "pl")
    assert en["lexical_diversity"]["typical"] != pl["lexical_diversity"]["typical"]
