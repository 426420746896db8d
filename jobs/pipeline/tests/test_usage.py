"""The typed usage value the engine, the job machinery and billing share; backend capabilities."""

from __future__ import annotations

import dataclasses

from jobs.pipeline.usage import Ledger, ModelCall, TierUsage, Usage


def _usage(mini=(0, 0, 0.0), gpt4=(0, 0, 0.0)) -> Usage:
    return Usage({"mini": TierUsage(*mini), "gpt4": TierUsage(*gpt4)})


def test_it_adds_per_tier_and_always_has_both_tiers():
    total = _usage(mini=(10, 5, 0.001)) + Usage({"gpt4": TierUsage(100, 50, 0.25)})
    assert total["mini"] == TierUsage(10, 5, 0.001) and total["gpt4"] == TierUsage(100, 50, 0.25)
    assert total.tokens == 165 and total.cost_usd == 0.251
    assert set(Usage().tiers) == {"mini", "gpt4"} and Usage().cost_usd == 0.0


def test_it_subtracts_clamped_at_zero_keeping_the_token_total_of_the_difference():
    billed = Usage({"gpt4": TierUsage(prompt_tokens=1000, cost_usd=0.5)})  # usage logs hold totals only
    checkpoint = _usage(gpt4=(300, 400, 0.2))
    rest = billed - checkpoint
    assert rest["gpt4"].tokens == 300 and rest["gpt4"].cost_usd == 0.3
    assert (checkpoint - billed)["gpt4"] == TierUsage(0, 0, 0.0)  # never negative
    assert (_usage(mini=(5, 5, 0.1)) - _usage(mini=(9, 9, 0.3)))["mini"] == TierUsage(0, 0, 0.0)


def test_it_takes_the_larger_cost_and_the_larger_token_total_per_tier():
    progress = _usage(gpt4=(100, 100, 0.30))  # the last progress write
    checkpoint = _usage(gpt4=(150, 150, 0.25))  # a checkpoint saved later, priced lower
    both = progress.max(checkpoint)
    assert both["gpt4"].tokens == 300 and both["gpt4"].cost_usd == 0.30


def test_it_round_trips_through_the_json_the_database_stores():
    usage = _usage(mini=(1, 2, 0.000001), gpt4=(3, 4, 0.5))
    stored = usage.to_dict()
    assert stored["gpt4"] == {"prompt_tokens": 3, "completion_tokens": 4, "tokens": 7, "cost_usd": 0.5}
    assert Usage.from_dict(stored) == usage
    assert Usage.from_dict({"gpt4": {"tokens": 7, "cost_usd": 0.5}})["gpt4"].tokens == 7  # an older shape


def test_it_is_what_the_ledger_of_a_run_adds_up_to():
    calls = [
        ModelCall("world_architecture", "mini", "m", 10, 20, 0.001, 0.1),
        ModelCall("sequential_generation", "gpt4", "g", 100, 200, 0.02, 0.1),
        ModelCall("language_stylization", "gpt4", "g", 50, 50, 0.01, 0.1),
    ]
    usage = Ledger(calls).usage()
    assert usage["mini"] == TierUsage(10, 20, 0.001) and usage["gpt4"] == TierUsage(150, 250, 0.03)
    assert usage == Usage.from_calls(calls)


def test_it_prices_and_routes_by_a_backends_capabilities_not_its_name():
    from jobs.pipeline import Brief, EngineConfig, estimate_cost, run_pipeline
    from jobs.pipeline.backends.base import LOCAL_WRITER, MODEL_API
    from jobs.pipeline.backends.offline import OfflineBackend

    class LocalWriter(OfflineBackend):
        name = "local-writer"
        capabilities = LOCAL_WRITER

    class PricedWriter(OfflineBackend):  # writes like the offline engine, billed like a model API
        name = "priced-writer"
        capabilities = dataclasses.replace(LOCAL_WRITER, priced=True, label=MODEL_API.label)

    brief = Brief.from_dict(
        {
            "production_type": "short_story",
            "genre": "fantasy",
            "inspiration": "A salt map.",
            "target_words": 5000,
        }
    )
    config = EngineConfig()
    local = run_pipeline(brief, backend=LocalWriter(), config=config)
    assert local.cost_usd == 0.0 and {c.model for c in local.model_calls} == {"local-writer"}
    assert estimate_cost(brief, config, LOCAL_WRITER) == 0.0
    priced = run_pipeline(brief, backend=PricedWriter(), config=config)
    assert {c.model for c in priced.model_calls} == {config.model_for("mini"), config.model_for("gpt4")}
    assert priced.cost_usd > 0 and estimate_cost(brief, config, MODEL_API) > 0


def test_a_model_call_round_trips_every_field_through_its_dict():
    """to_dict is spelled out for speed (a checkpoint lists every call): it must keep every field."""
    call = ModelCall("drafting", "gpt4", "gpt-4o", 120, 480, 0.0123, 1.5, segment=7)
    assert call.to_dict() == dataclasses.asdict(call)
    assert ModelCall.from_dict(call.to_dict()) == call
