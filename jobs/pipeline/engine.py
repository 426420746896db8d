"""Model calls with routing, budget, cancellation, JSON checking and records.

Stages never talk to a backend directly: they go through ``Engine.text`` or
``Engine.json`` so every call is priced, checked against the budget, recorded
and reported in one place.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import schema as schemas
from .backends import capabilities_of
from .backends.base import Backend, CallObserver, Task
from .brief import Brief
from .config import EngineConfig
from .errors import BackendError, BudgetExceeded, PipelineCancelled
from .stages.registry import stage as stage_of
from .text import estimate_tokens
from .usage import Ledger, ModelCall


@dataclass
class Callbacks:
    """Optional hooks; any of them may be None."""

    on_stage_start: Callable[[Any, int], None] | None = None
    on_stage_end: Callable[[Any, int], None] | None = None
    on_progress: Callable[[float, str], None] | None = None
    on_checkpoint: Callable[[dict[str, Any]], None] | None = None
    on_model_call: Callable[[ModelCall], None] | None = None
    should_cancel: Callable[[], bool] | None = None
    # (tier, prompt_tokens, prompt_cost_usd) just before a request is sent: what a provider may bill
    # even if the answer never arrives (the caller records it before the call can be lost).
    on_call_start: Callable[[str, int, float], None] | None = None
    # Before a call that may cost money: (worst-case USD of the call, USD this run has spent) →
    # None to go ahead, or a sentence for the writer to stop with (BudgetExceeded, cause "ceiling").
    before_spend: Callable[[float, float], str | None] | None = None


class Engine:
    def __init__(
        self,
        brief: Brief,
        backend: Backend,
        config: EngineConfig,
        callbacks: Callbacks,
        ledger: Ledger,
        budget_usd: float | None,
        snapshot: Callable[[], dict[str, Any]],
    ) -> None:
        self.brief = brief
        self.backend = backend
        self.config = config
        self.callbacks = callbacks
        self.ledger = ledger
        self.budget_usd = budget_usd
        self.snapshot = snapshot  # the latest checkpoint, attached to errors
        self.capabilities = capabilities_of(backend)

    def _model(self, tier: str) -> str:
        # A local writer has no models to route to; its calls are recorded under its own name.
        return self.config.model_for(tier) if self.capabilities.priced else self.backend.name

    def check_cancel(self, stage_key: str, what: str = "call") -> None:
        """Raise PipelineCancelled if the caller asked to stop: before every call and every offline step."""
        cancel = self.callbacks.should_cancel
        if cancel is not None and cancel():
            raise PipelineCancelled(
                f"Cancelled before a {stage_of(stage_key).label.lower()} {what}; "
                "finished work is kept in the checkpoint.",
                checkpoint=self.snapshot(),
            )

    def _before_call(
        self, stage_key: str, model: str, messages: list[dict[str, str]], max_tokens: int
    ) -> None:
        self.check_cancel(stage_key)
        if self.budget_usd is None and self.callbacks.before_spend is None:
            return
        prompt = sum(estimate_tokens(m["content"]) + 4 for m in messages)
        self._check_budget(stage_key, model, prompt, max_tokens)

    def _announce(self, stage_key: str, model: str, messages: list[dict[str, str]]) -> None:
        if self.callbacks.on_call_start is not None:
            prompt = sum(estimate_tokens(m["content"]) + 4 for m in messages)
            self.callbacks.on_call_start(stage_of(stage_key).tier, prompt, self.config.cost(model, prompt, 0))

    def _check_budget(self, stage_key: str, model: str, prompt: int, max_tokens: int) -> None:
        # Worst case: the model uses every token it is allowed.
        worst = self.config.cost(model, prompt, max_tokens)
        if self.callbacks.before_spend is not None and worst > 0:
            # The caller's ceiling (the user's monthly limit shared with their other jobs).
            refusal = self.callbacks.before_spend(worst, self.ledger.cost_usd)
            if refusal:
                raise BudgetExceeded(
                    refusal,
                    checkpoint=self.snapshot(),
                    spent_usd=self.ledger.cost_usd,
                    budget_usd=self.ledger.cost_usd,
                    cause="ceiling",
                )
        if self.budget_usd is not None and self.ledger.cost_usd + worst > self.budget_usd + 1e-12:
            raise BudgetExceeded(
                f"Stopped before a {stage_of(stage_key).label.lower()} call: it could cost up to "
                f"${worst:.4f}, and ${self.ledger.cost_usd:.4f} of the "
                f"${self.budget_usd:.4f} budget is spent.",
                checkpoint=self.snapshot(),
                spent_usd=self.ledger.cost_usd,
                budget_usd=self.budget_usd,
            )

    def _call(
        self,
        stage_key: str,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        payload: dict[str, Any],
        json_schema: dict[str, Any] | None = None,
        schema_name: str = "",
        segment: int | None = None,
    ) -> str:
        tier = stage_of(stage_key).tier
        model = self._model(tier)
        self._before_call(stage_key, model, messages, max_tokens)
        self._announce(stage_key, model, messages)
        started = time.perf_counter()
        extra: dict[str, Any] = {}
        if getattr(self.backend, "reports_abandoned", False):
            extra["observer"] = CallObserver(
                on_abandoned=lambda p, c: self._record(stage_key, tier, model, p, c, started, segment)
            )
        completion = self.backend.complete(
            messages,
            tier=tier,
            model=model,
            json_schema=json_schema,
            max_tokens=max_tokens,
            task=Task(stage_key, payload, schema_name),
            **extra,
        )
        self._record(
            stage_key, tier, model, completion.prompt_tokens, completion.completion_tokens, started, segment
        )
        return completion.text

    def _record(
        self, stage_key: str, tier: str, model: str, prompt: int, completion: int, started: float, segment
    ) -> None:
        """Into the ledger and to the caller: an answer, or an attempt abandoned after it was sent."""
        call = ModelCall(
            stage=stage_key,
            tier=tier,
            model=model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=self.config.cost(model, prompt, completion),
            latency_s=round(time.perf_counter() - started, 4),
            segment=segment,
        )
        self.ledger.add(call)
        if self.callbacks.on_model_call is not None:
            self.callbacks.on_model_call(call)

    def text(
        self,
        stage_key: str,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        payload: dict[str, Any],
        segment: int | None = None,
    ) -> str:
        return self._call(stage_key, messages, max_tokens=max_tokens, payload=payload, segment=segment)

    def json(
        self,
        stage_key: str,
        messages: list[dict[str, str]],
        json_schema: dict[str, Any],
        *,
        name: str,
        max_tokens: int,
        payload: dict[str, Any],
    ) -> dict[str, Any]:
        """Ask for JSON matching ``json_schema``; one repair attempt, then a clear error."""
        answer = self._call(
            stage_key,
            messages,
            max_tokens=max_tokens,
            payload=payload,
            json_schema=json_schema,
            schema_name=name,
        )
        value, problem = _parse(answer, json_schema)
        if problem is None:
            return value
        repair = messages + [
            {"role": "assistant", "content": answer[:2000]},
            {
                "role": "user",
                "content": f"That answer was not valid: {problem}. Reply again with only a JSON "
                "object that matches the schema exactly.",
            },
        ]
        answer = self._call(
            stage_key,
            repair,
            max_tokens=max_tokens,
            payload=payload,
            json_schema=json_schema,
            schema_name=name,
        )
        value, problem2 = _parse(answer, json_schema)
        if problem2 is None:
            return value
        raise BackendError(
            f"The model answered the {stage_of(stage_key).label.lower()} stage with invalid JSON twice "
            f"(last problem: {problem2}).",
            cause="invalid_json",
            checkpoint=self.snapshot(),
        )


def _parse(answer: str, json_schema: dict[str, Any]) -> tuple[Any, str | None]:
    text = answer.strip()
    if text.startswith("```"):  # some local models wrap JSON in a code fence
        text = text.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, f"not JSON ({exc.msg} at position {exc.pos})"
    problems = schemas.validate(value, json_schema)
    if problems:
        return None, "; ".join(problems[:3])
    return value, None
