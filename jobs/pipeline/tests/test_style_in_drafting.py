"""Issue 20 item 1: the drafting prompt carries the style, so the draft needs no full second pass."""

from __future__ import annotations

from jobs.pipeline import get_backend, run_pipeline
from jobs.pipeline.context import STYLE_TOKENS, style_section, voice_sample
from jobs.pipeline.text import estimate_tokens

from .conftest import make_brief

VOICE = (
    "The fog came in off the estuary the way debts come due: slowly, then all at once. Mara had "
    'counted the bells since noon. "You will not find her," the ferryman said, and spat into the '
    "grey water. She believed him, and went anyway, because belief had never once stopped her feet."
)


def _drafting_prompts(server) -> list[str]:
    return [
        r["messages"][-1]["content"]
        for r in server.requests
        if "Write segment" in r["messages"][-1]["content"]
    ]


def test_every_drafting_prompt_carries_the_style_notes_and_the_writers_own_voice(
    server, openai_config
) -> None:
    brief = make_brief(world_notes="Ferries cross the estuary twice a day.\n\n" + VOICE)
    result = run_pipeline(brief, backend=get_backend("openai", openai_config), config=openai_config)
    notes = result.plan["interpretation"]["style_notes"]
    prompts = _drafting_prompts(server)
    assert len(prompts) == len(result.plan["segments"])
    for prompt in prompts:
        assert f"STYLE\nStyle notes (write in them from the first line): {notes}" in prompt
        assert (
            "The writer's own voice (match its diction and rhythm; do not copy it): “The fog came in"
            in prompt
        )


def test_a_one_line_premise_is_not_passed_off_as_the_writers_voice(server, openai_config) -> None:
    run_pipeline(make_brief(), backend=get_backend("openai", openai_config), config=openai_config)
    prompts = _drafting_prompts(server)
    assert prompts and all("STYLE\nStyle notes" in p for p in prompts)
    assert not any("The writer's own voice" in p for p in prompts)


def test_the_voice_sample_is_short_and_ends_on_a_sentence() -> None:
    sample = voice_sample("A premise only.", " ".join([VOICE] * 12))
    assert sample.startswith("The fog came in") and sample.endswith(".")
    assert len(sample.split()) <= 60
    assert estimate_tokens(style_section("dark tone, first person, past tense " * 20, sample)) <= STYLE_TOKENS
