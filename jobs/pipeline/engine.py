"""Model calls with routing, budget, cancellation, context sizing, JSON checking and records.

Stages never talk to a backend directly: they go through ``Engine.text``,
``Engine.passage`` or ``Engine.json`` so every call is priced, checked against
the budget, fitted to the connection's context window, recorded and reported
in one place — abandoned attempts included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .backends import capabilities_of
from .backends.base import Backend, CallObserver, Completion, Task
from .backends.openai_wire import with_schema_in_prompt
from .brief import Brief
from .config import EngineConfig
from .connection import DEFAULT_CONTEXT_WINDOW
from .errors import BackendError, BudgetExceeded, PipelineCancelled
from .jsonparse import parse as parse_json
from .stage_registry import stage as stage_of
from .text import estimate_tokens
from .usage import Ledger, ModelCall

ANSWER_MARGIN = 48  # tokens kept free in the window for the chat template around the messages
MIN_COMPLETION = 96  # a call that cannot get this many completion tokens is refused as too big


@dataclass
class Callbacks:
    """Optional hooks; any of them may be None.

    ``on_text(stage_key, segment, passage_so_far)`` follows prose as it is
    written: streamed and throttled by a streaming backend, once per answer
    otherwise (the offline engine).
    """

    on_stage_start: Callable[[Any, int], None] | None = None
    on_stage_end: Callable[[Any, int], None] | None = None
    on_progress: Callable[[float, str], None] | None = None
    on_checkpoint: Callable[[dict[str, Any]], None] | None = None
    on_model_call: Callable[[ModelCall], None] | None = None
    should_cancel: Callable[[], bool] | None = None
    # (tier, prompt_tokens, prompt_cost_usd) just before a request is sent: what a provider may bill
    # even if the answer never arrives (the caller records it before the call can be lost).
    on_call_start: Callable[[str, int, float], None] | None = None
    on_text: Callable[[str, int | None, str], None] | None = None
    # Before a call that may cost money: (worst-case USD of the call, USD this run has spent) →
    # None to go ahead, or a sentence for the writer to stop with (BudgetExceeded, cause "ceiling").
    before_spend: Callable[[float, float], str | None] | None = None
    # Where the writing is: {"stage", "chapter", "chapters", "words"} while drafting and stylising.
    on_position: Callable[[dict[str, Any]], None] | None = None


class ContextTooSmall(BackendError):
    """The prompt alone does not leave room for an answer: the caller must send less."""

    def __init__(self, message: str) -> None:
        super().__init__(message, cause="context_length")


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
        # The context window every request must fit (None: a local writer has none).
        self.window: int | None = None
        if self.capabilities.bounded_context:
            self.window = config.connection.context_window or DEFAULT_CONTEXT_WINDOW
        self.window_source = "configured" if config.connection.context_window else "default"
        # Our ~4 characters/token estimate, scaled for safety; raised when a server says it was short.
        self.token_factor = 1.25
        self.served_models: dict[str, int | None] | None = None
        self.counted_calls = 0  # answers whose usage the server did not report (we counted the tokens)

    # -- before the first call -------------------------------------------------------------------
    def preflight(self) -> None:
        """Check the configured models against the server's list; learn its window where it says
        (the list's metadata, else llama.cpp's /props: the same sources as the connection test)."""
        check = getattr(self.backend, "check_models", None)
        if check is None:
            return
        models = [self.config.model_for(t) for t in ("mini", "gpt4")]
        self.served_models = check(models)
        if self.config.connection.context_window is None:
            stated = [w for w in (self.served_models or {}).values() if w]
            if not stated:  # llama.cpp states its window in /props, not in its model list
                asked = getattr(self.backend, "server_context", None)
                window = asked() if asked is not None else None
                stated = [window] if window else []
            if stated:
                self.window, self.window_source = min(stated), "server"

    def check_cancel(self, stage_key: str, what: str = "call") -> None:
        """Raise PipelineCancelled if the caller asked to stop: before every call and every offline step."""
        cancel = self.callbacks.should_cancel
        if cancel is not None and cancel():
            raise PipelineCancelled(
                f"Cancelled before a {stage_of(stage_key).label.lower()} {what}; "
                "finished work is kept in the checkpoint.",
                checkpoint=self.snapshot(),
            )

    # -- sizing ----------------------------------------------------------------------------------
    def prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """A cautious count of the prompt's tokens (chat template included)."""
        return int(sum(estimate_tokens(m["content"]) + 6 for m in messages) * self.token_factor) + 8

    def room(self, messages: list[dict[str, str]], json_schema: dict[str, Any] | None = None) -> int:
        """Completion tokens that fit beside ``messages`` in the window.

        A structured call is sized as if its schema were written into the prompt, as the
        ``json_object`` and ``prompt`` modes do (llama.cpp, Ollama): the mode is only known once
        the server has answered, and a schema is several hundred tokens of a small window.
        """
        if self.window is None:
            return 1 << 30
        if json_schema is not None:
            messages = with_schema_in_prompt(messages, json_schema)
        return self.window - self.prompt_tokens(messages) - ANSWER_MARGIN

    def input_budget(self, share: float, cap: int) -> int:
        """Tokens of *estimated* input text a stage may send: ``share`` of the window, at most ``cap``."""
        if self.window is None:
            return cap
        return max(64, min(cap, int(self.window * share / self.token_factor)))

    def _fit(
        self,
        stage_key: str,
        messages: list[dict[str, str]],
        wanted: int,
        json_schema: dict[str, Any] | None = None,
    ) -> int:
        room = self.room(messages, json_schema)
        if room < min(MIN_COMPLETION, wanted):
            raise ContextTooSmall(
                f"The {stage_of(stage_key).label.lower()} prompt (about {self.prompt_tokens(messages)} "
                f"tokens) leaves no room for an answer in the {self.window}-token context window.",
            )
        return max(1, min(wanted, room))

    # -- calls -----------------------------------------------------------------------------------
    def _before_call(
        self, stage_key: str, model: str, messages: list[dict[str, str]], max_tokens: int
    ) -> None:
        self.check_cancel(stage_key)
        if self.budget_usd is None and self.callbacks.before_spend is None:
            return
        prompt = sum(estimate_tokens(m["content"]) + 4 for m in messages)
        self._check_budget(stage_key, model, prompt, max_tokens)

    def _announce(self, tier: str, model: str, messages: list[dict[str, str]]) -> None:
        if self.callbacks.on_call_start is not None:
            prompt = sum(estimate_tokens(m["content"]) + 4 for m in messages)
            self.callbacks.on_call_start(tier, prompt, self.config.cost(model, prompt, 0))

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

    def _model(self, tier: str) -> str:
        # A local writer has no models to route to; its calls are recorded under its own name.
        return self.config.model_for(tier) if self.capabilities.priced else self.backend.name

    def _record(
        self,
        stage_key: str,
        tier: str,
        model: str,
        prompt: int,
        completion: int,
        started: float,
        segment,
        *,
        counted: bool = False,
    ) -> None:
        """Bill one call; ``counted``: its tokens are our count (no usage from the server)."""
        self.counted_calls += counted
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
        tier: str | None = None,
        live: bool = False,
        live_prefix: str = "",
    ) -> Completion:
        tier = tier or stage_of(stage_key).tier
        model = self._model(tier)
        on_text = self.callbacks.on_text if live else None
        for refusal in range(3):
            fitted = self._fit(stage_key, messages, max_tokens, json_schema)
            self._before_call(stage_key, model, messages, fitted)
            self._announce(tier, model, messages)
            started = time.perf_counter()
            kwargs: dict[str, Any] = {}
            if getattr(self.backend, "streams", False):
                kwargs["observer"] = CallObserver(
                    on_text=(lambda text: on_text(stage_key, segment, live_prefix + text))
                    if on_text
                    else None,
                    on_abandoned=lambda p, c, s=started: self._record(
                        stage_key, tier, model, p, c, s, segment, counted=True
                    ),
                )
            try:
                completion = self.backend.complete(
                    messages,
                    tier=tier,
                    model=model,
                    json_schema=json_schema,
                    max_tokens=fitted,
                    task=Task(stage_key, payload, schema_name),
                    **kwargs,
                )
            except BackendError as exc:
                if exc.cause != "context_length" or self.window is None:
                    raise
                if refusal == 2:
                    raise ContextTooSmall(str(exc)) from None
                # Our estimate was short for this server's tokenizer: count more cautiously, re-fit.
                self.token_factor *= 1.3
                continue
            self._record(
                stage_key,
                tier,
                model,
                completion.prompt_tokens,
                completion.completion_tokens,
                started,
                segment,
                counted=not completion.usage_reported,
            )
            if on_text is not None and not kwargs:
                on_text(stage_key, segment, live_prefix + completion.text)  # not streamed: once
            return completion
        raise AssertionError("unreachable")  # the loop returns or raises

    def text(
        self,
        stage_key: str,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        payload: dict[str, Any],
        segment: int | None = None,
    ) -> str:
        return self._call(
            stage_key, messages, max_tokens=max_tokens, payload=payload, segment=segment, live=True
        ).text

    def passage(
        self,
        stage_key: str,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        payload: dict[str, Any],
        segment: int | None = None,
        live: bool = True,
        live_prefix: str = "",
        tier: str | None = None,
    ) -> Completion:
        """Prose with its finish reason (``length`` when the answer was cut off).

        ``live_prefix`` is what the passage already holds, so ``on_text`` shows the whole of it;
        ``tier`` overrides the stage's own (the polishing pass's tier is a setting).
        """
        return self._call(
            stage_key,
            messages,
            max_tokens=max_tokens,
            payload=payload,
            segment=segment,
            tier=tier,
            live=live,
            live_prefix=live_prefix,
        )

    def json(
        self,
        stage_key: str,
        messages: list[dict[str, str]],
        json_schema: dict[str, Any],
        *,
        name: str,
        max_tokens: int,
        payload: dict[str, Any],
        tier: str | None = None,
        segment: int | None = None,
    ) -> dict[str, Any]:
        """Ask for JSON matching ``json_schema``; one repair attempt, then an error naming the field."""
        answer = self._call(
            stage_key,
            messages,
            max_tokens=max_tokens,
            payload=payload,
            json_schema=json_schema,
            schema_name=name,
            tier=tier,
            segment=segment,
        )
        value, problem = parse_json(answer.text, json_schema)
        if problem is None:
            return value
        if answer.finish_reason == "length":
            problem += " (the answer was cut off at the token limit; be much shorter)"
        repair = messages + [
            {"role": "assistant", "content": answer.text[:1200]},
            {
                "role": "user",
                "content": f"That answer was not valid: {problem}. Reply again with only a JSON "
                "object that matches the schema exactly, keeping every text short.",
            },
        ]
        # A small window: repair without the echo.
        if self.room(repair, json_schema) < min(MIN_COMPLETION, max_tokens):
            repair = messages + [repair[-1]]
        answer = self._call(
            stage_key,
            repair,
            max_tokens=max_tokens,
            payload=payload,
            json_schema=json_schema,
            schema_name=name,
            tier=tier,
            segment=segment,
        )
        value, problem2 = parse_json(answer.text, json_schema)
        if problem2 is None:
            return value
        raise BackendError(
            f"The model answered the {stage_of(stage_key).label.lower()} stage with invalid JSON twice "
            f"(last problem: {problem2}).",
            cause="invalid_json",
            checkpoint=self.snapshot(),
        )
