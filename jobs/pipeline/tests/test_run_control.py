"""Checkpoints, resumption, budget and cancellation."""

from __future__ import annotations

import json

import pytest

from jobs.pipeline import (
    STAGES,
    BudgetExceeded,
    Callbacks,
    PipelineCancelled,
    PipelineError,
    estimate_cost,
    get_backend,
    run_pipeline,
)

from .conftest import make_brief


def test_checkpoints_come_after_every_stage_and_segment_and_are_json(brief, offline) -> None:
    seen: list[dict] = []
    result = run_pipeline(brief, backend=offline, callbacks=Callbacks(on_checkpoint=seen.append))
    n = len(result.plan["segments"])
    assert len(seen) == len(STAGES) + 2 * n  # stages + drafted + stylised segments
    for cp in seen:
        json.loads(json.dumps(cp))
    assert [len(cp["drafts"]) for cp in seen[5 : 5 + n]] == list(range(1, n + 1))


def test_resuming_repeats_and_bills_nothing_already_done(server, openai_config) -> None:
    brief = make_brief()
    backend = get_backend("openai", openai_config)
    full = run_pipeline(brief, backend=backend, config=openai_config)
    server.requests.clear()
    seen: list[dict] = []

    def cancel_after_second_draft() -> bool:
        return bool(seen) and len(seen[-1]["drafts"]) == 2

    with pytest.raises(PipelineCancelled) as err:
        run_pipeline(
            brief,
            backend=backend,
            config=openai_config,
            callbacks=Callbacks(on_checkpoint=seen.append, should_cancel=cancel_after_second_draft),
        )
    checkpoint = err.value.checkpoint
    assert len(checkpoint["drafts"]) == 2 and "Cancelled" in str(err.value)
    calls_before = len(server.requests)
    resumed = run_pipeline(
        brief, backend=backend, config=openai_config, checkpoint=json.loads(json.dumps(checkpoint))
    )
    new_calls = server.requests[calls_before:]
    assert not any(
        r["model"] == "gpt-4o-mini" and "Interpret" in r["messages"][-1]["content"] for r in new_calls
    )
    drafted = [c for c in resumed.model_calls if c.stage == "sequential_generation"]
    assert [c.segment for c in drafted] == list(range(1, len(resumed.plan["segments"]) + 1))  # each once
    assert len(resumed.model_calls) == len(full.model_calls)
    assert resumed.cost_usd == pytest.approx(full.cost_usd, rel=1e-6)  # complete totals, billed once
    assert resumed.text == full.text


def test_a_checkpoint_for_another_brief_is_refused(brief, offline) -> None:
    seen: list[dict] = []
    run_pipeline(brief, backend=offline, callbacks=Callbacks(on_checkpoint=seen.append))
    with pytest.raises(PipelineError, match="different brief"):
        run_pipeline(make_brief(genre="horror"), backend=offline, checkpoint=seen[3])


def test_the_budget_stops_the_run_before_it_is_crossed(openai_config) -> None:
    brief = make_brief()
    backend = get_backend("openai", openai_config)
    calls: list = []
    with pytest.raises(BudgetExceeded) as err:
        run_pipeline(
            brief,
            backend=backend,
            config=openai_config,
            budget_usd=0.01,
            callbacks=Callbacks(on_model_call=calls.append),
        )
    spent = sum(c.cost_usd for c in calls)
    assert spent <= 0.01
    assert err.value.checkpoint is not None and err.value.spent_usd == pytest.approx(spent)
    assert "budget" in str(err.value)


def test_cancellation_is_asked_between_calls(brief, offline) -> None:
    calls: list = []
    with pytest.raises(PipelineCancelled) as err:
        run_pipeline(
            brief,
            backend=offline,
            callbacks=Callbacks(on_model_call=calls.append, should_cancel=lambda: len(calls) >= 3),
        )
    assert len(calls) == 3
    assert err.value.checkpoint["completed_stages"] == [s.key for s in STAGES[:3]]


def test_progress_is_monotonic_and_weights_drafting_heavily(brief, offline) -> None:
    points: list[tuple[float, str]] = []
    stages: list[str] = []
    run_pipeline(
        brief,
        backend=offline,
        callbacks=Callbacks(
            on_progress=lambda f, d: points.append((f, d)), on_stage_start=lambda s, i: stages.append(s.key)
        ),
    )
    fractions = [f for f, _ in points]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    drafting = [f for f, d in points if d.startswith("Drafting")]
    assert drafting and drafting[0] < 0.1 and max(drafting) > 0.4
    assert stages == [s.key for s in STAGES]


def test_the_estimate_is_zero_offline_and_close_to_a_real_run(server, openai_config) -> None:
    brief = make_brief()
    assert estimate_cost(brief, openai_config, "offline") == 0.0
    estimate = estimate_cost(brief, openai_config, "openai")
    actual = run_pipeline(brief, backend=get_backend("openai", openai_config), config=openai_config).cost_usd
    assert 0.5 * actual <= estimate <= 2 * actual
