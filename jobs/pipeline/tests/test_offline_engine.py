from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jobs.pipeline import GENRES, STAGES, PipelineError, chapters_from_text, count_words, run_pipeline
from jobs.pipeline.plan import Plan
from jobs.pipeline.quality import plan_coverage

from .conftest import make_brief


def test_same_brief_gives_the_same_narrative(brief, offline) -> None:
    first = run_pipeline(brief, backend=offline)
    second = run_pipeline(brief, backend=offline)
    assert first.text == second.text
    other = run_pipeline(make_brief(inspiration="A different seed entirely."), backend=offline)
    assert other.text != first.text


def test_it_runs_all_ten_stages_and_labels_itself_offline(brief, offline) -> None:
    result = run_pipeline(brief, backend=offline)
    assert result.completed_stages == [s.key for s in STAGES]
    assert result.metadata["engine"] == "offline"
    assert result.cost_usd == 0.0
    assert result.tokens_used > result.word_count  # estimated prompt + completion tokens
    assert {c.model for c in result.model_calls} == {"offline"}
    assert result.usage_by_tier["gpt4"]["tokens"] > 0 and result.usage_by_tier["mini"]["tokens"] > 0


@pytest.mark.parametrize("genre", GENRES)
@pytest.mark.parametrize("language", ["en", "pl"])
def test_every_genre_and_language_is_true_to_its_plan_and_length(genre: str, language: str, offline) -> None:
    brief = make_brief(genre=genre, language=language, target_words=6000)
    result = run_pipeline(brief, backend=offline)
    plan = Plan.from_dict(result.plan)
    chapters = chapters_from_text(result.text)
    assert len(chapters) == len(plan.segments)
    coverage, missing = plan_coverage(plan.segments, [c.body for c in chapters])
    assert coverage == 1.0, missing
    for seg, chapter in zip(plan.segments, chapters, strict=True):
        body = chapter.body.replace("\u2019", "'").replace("\u00a0", " ")  # typographic apostrophes
        assert seg.location in body
        for name in seg.characters:
            assert name in body
        assert "  " not in body and " i g h " not in body
        assert abs(count_words(chapter.body) - seg.target_words) <= 0.15 * seg.target_words
    assert abs(result.word_count - 6000) <= 600
    assert result.quality_metrics["plan_coverage"]["value"] == 1.0


def test_polish_prose_uses_polish_vocabulary_and_no_flesch_score(offline) -> None:
    result = run_pipeline(make_brief(language="pl", genre="mystery"), backend=offline)
    assert "—" in result.text  # Polish dialogue dashes
    assert any(w in result.text for w in (" się ", " nie ", " jak "))
    assert result.quality_metrics["readability"]["value"] is None
    assert result.language == "pl"


def test_english_prose_has_dialogue_and_varied_sentences(brief, offline) -> None:
    metrics = run_pipeline(brief, backend=offline).quality_metrics
    assert metrics["dialogue_share"]["value"] > 0.05
    assert metrics["sentence_variation"]["value"] > 0.3
    assert metrics["readability"]["value"] is not None


def test_text_format_is_chapters_with_headings_and_no_title(brief, offline) -> None:
    result = run_pipeline(brief, backend=offline)
    assert result.text.startswith("## ")
    assert not result.text.startswith(f"# {result.title}\n")
    heading_lines = [line for line in result.text.splitlines() if line.startswith("#")]
    assert all(line.startswith("## ") for line in heading_lines)
    assert "\n\n" in result.text
    meta = result.metadata
    assert [c["title"] for c in meta["chapters"]] == [c.title for c in chapters_from_text(result.text)]
    assert sum(c["word_count"] for c in meta["chapters"]) == result.word_count
    assert all({"planned_words", "actual_words"} <= set(s) for s in meta["segments"])
    json.dumps(meta)  # JSON-safe


def test_plan_has_a_world_bible_cast_structure_and_sized_segments(brief, offline) -> None:
    plan = run_pipeline(brief, backend=offline).plan
    world = plan["world"]
    assert (
        world["name"] and world["laws"] and world["boundaries"] and world["core_conflict"] and world["theme"]
    )
    assert len(world["locations"]) >= 2
    for c in plan["characters"]:
        assert c["name"] and c["role"] and c["goal"] and c["arc"] and c["contradictions"] and c["voice"]
    assert plan["structure"]["acts"] and len(plan["structure"]["pacing"]) == len(plan["segments"])
    assert sum(s["target_words"] for s in plan["segments"]) == brief.target_words


def test_review_plan_stops_after_stage_five(offline) -> None:
    result = run_pipeline(make_brief(review_plan=True), backend=offline)
    assert result.text == "" and result.word_count == 0
    assert result.completed_stages == [s.key for s in STAGES[:5]]
    assert Plan.from_dict(result.plan).segments


def test_a_given_plan_is_used_as_is_and_not_billed(brief, offline) -> None:
    plan = run_pipeline(make_brief(review_plan=True), backend=offline).plan
    plan["segments"][0]["title"] = "The Writer's Own Title"
    plan["segments"][0]["key_events"] = ["the bridge over the Glass Road collapses at noon"]
    result = run_pipeline(brief, backend=offline, plan=plan)
    assert {c.stage for c in result.model_calls}.isdisjoint({s.key for s in STAGES[:5]})
    first = chapters_from_text(result.text)[0]
    assert first.title == "The Writer's Own Title"
    # the writer's event, told in the narrative's (past) tense
    assert "the bridge over the glass road collapsed at noon" in first.body.lower()


def test_a_malformed_plan_is_refused_clearly(brief, offline) -> None:
    plan = run_pipeline(make_brief(review_plan=True), backend=offline).plan
    broken = json.loads(json.dumps(plan))
    del broken["world"]["laws"]
    with pytest.raises(PipelineError, match="plan is malformed.*laws"):
        run_pipeline(brief, backend=offline, plan=broken)
    stranger = json.loads(json.dumps(plan))
    stranger["segments"][1]["characters"] = ["Nobody Known"]
    with pytest.raises(PipelineError, match="Nobody Known"):
        run_pipeline(brief, backend=offline, plan=stranger)


def test_revision_instructions_change_the_prose_visibly(brief, offline) -> None:
    plan = run_pipeline(make_brief(review_plan=True), backend=offline).plan
    original = run_pipeline(brief, backend=offline, plan=plan)
    revised_brief = make_brief(revision_instructions="Much more dialogue and conversation, please.")
    revised = run_pipeline(revised_brief, backend=offline, plan=plan)
    assert revised.text != original.text
    assert (
        revised.quality_metrics["dialogue_share"]["value"]
        > original.quality_metrics["dialogue_share"]["value"] + 0.1
    )
    assert revised.quality_metrics["plan_coverage"]["value"] == 1.0


def test_an_existing_world_and_cast_are_continued(offline) -> None:
    world = {
        "world": {
            "name": "Kessarine",
            "laws": ["Bells cannot lie."],
            "boundaries": ["Nobody crosses the Pale."],
            "locations": [
                {"name": "the Bell Tower", "description": "Old bronze and older rope."},
                {"name": "the Pale", "description": "Fog that never lifts."},
            ],
            "core_conflict": "the bells have gone silent",
            "theme": "truth",
        },
        "characters": [
            {
                "name": "Odile Marsh",
                "gender": "f",
                "role": "protagonist",
                "goal": "to make the bells ring",
                "arc": "from doubt to faith",
                "contradictions": ["a bell-ringer who hates noise"],
                "voice": "soft",
            }
        ],
    }
    result = run_pipeline(make_brief(world=world), backend=offline)
    plan = result.plan
    assert plan["world"]["name"] == "Kessarine"
    assert plan["world"]["laws"] == ["Bells cannot lie."]
    assert {"the Bell Tower", "the Pale"} <= {loc["name"] for loc in plan["world"]["locations"]}
    assert plan["characters"][0]["name"] == "Odile Marsh"
    assert plan["characters"][0]["goal"] == "to make the bells ring"
    assert len(plan["characters"]) > 1
    assert "Odile Marsh" in result.text


def test_the_package_imports_nothing_from_django() -> None:
    code = (
        "import sys, jobs.pipeline, jobs.pipeline.cli, jobs.pipeline.testing;"
        "bad=[m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
