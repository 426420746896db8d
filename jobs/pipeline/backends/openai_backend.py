"""Any OpenAI-compatible Chat Completions endpoint, through the official SDK.

The SDK's own retries are switched off (``max_retries=0``) so this module
owns the policy: 429, 5xx, timeouts and dropped connections are retried with
exponential backoff and jitter, honouring ``Retry-After``, for at most
``config.max_attempts`` attempts of ``config.request_timeout`` seconds each.
A refused key fails at once. Every failure becomes a BackendError whose
message names the cause.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import openai

from ..config import EngineConfig
from ..errors import BackendError
from ..text import estimate_tokens
from .base import CallObserver, Completion, Task

# Keywords our validator checks locally; not every endpoint accepts them in
# a strict schema, so they are not sent.
_LOCAL_ONLY = frozenset({"minLength", "minimum", "maximum"})


def wire_schema(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _LOCAL_ONLY:
            continue
        if key == "properties":
            out[key] = {k: wire_schema(v) for k, v in value.items()}
        elif key == "items":
            out[key] = wire_schema(value)
        else:
            out[key] = value
    return out


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return max(0.0, float(raw) * scale)
            except ValueError:
                return None  # an HTTP date: fall back to our own backoff
    return None


class OpenAIBackend:
    name = "openai"
    reports_abandoned = True  # accepts ``observer=`` in complete(): timed-out attempts are reported

    def __init__(
        self,
        config: EngineConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not config.openai_api_key:
            raise BackendError(
                "No API key is configured for the openai backend (set OPENAI_API_KEY).", cause="auth"
            )
        self.config = config
        self.where = config.openai_base_url or "https://api.openai.com/v1"
        self.client = openai.OpenAI(
            api_key=config.openai_api_key,
            base_url=config.openai_base_url or None,
            timeout=config.request_timeout,
            max_retries=0,
        )
        self._sleep = sleep
        self._jitter = jitter

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        wait = min(cfg.backoff_cap, cfg.backoff_base * 2 ** (attempt - 1))
        wait *= 0.5 + 0.5 * self._jitter()  # "equal jitter": spreads out retry storms
        if retry_after is not None:
            wait = max(wait, min(retry_after, max(cfg.backoff_cap, 300.0)))
        return wait

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        tier: str,
        model: str,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int,
        task: Task | None = None,
        observer: CallObserver | None = None,
    ) -> Completion:
        kwargs: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": max_tokens}
        if json_schema is not None:
            name = (task.schema_name if task and task.schema_name else "answer")[:64]
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": wire_schema(json_schema), "strict": True},
            }
        attempts = max(1, self.config.max_attempts)
        last = ""
        cause = "error"
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                response = self.client.chat.completions.create(**kwargs)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                raise BackendError(
                    f"The endpoint refused the API key (HTTP {exc.status_code}) at {self.where}; "
                    "check OPENAI_API_KEY.",
                    cause="auth",
                ) from None
            except openai.APITimeoutError:
                cause, last = "timeout", f"no answer within {self.config.request_timeout:g} s"
                if observer is not None and observer.on_abandoned is not None:
                    # The request was sent and may be billed although we never read the answer.
                    observer.on_abandoned(sum(estimate_tokens(m["content"]) + 4 for m in messages), 0)
            except openai.APIConnectionError as exc:
                cause, last = "unreachable", f"could not connect ({exc.__cause__ or exc})"
            except openai.APIStatusError as exc:
                if exc.status_code == 429:
                    cause, last = "rate_limited", "rate limited (HTTP 429)"
                    retry_after = _retry_after(exc)
                elif exc.status_code >= 500:
                    cause, last = "server_error", f"server error (HTTP {exc.status_code})"
                    retry_after = _retry_after(exc)
                else:
                    raise BackendError(
                        f"The endpoint rejected the request (HTTP {exc.status_code}) at {self.where}: "
                        f"{_detail(exc)}",
                        cause="bad_request",
                    ) from None
            else:
                return _completion(response, messages)
            if attempt < attempts:
                self._sleep(self._backoff(attempt, retry_after))
        messages_by_cause = {
            "timeout": f"The model endpoint at {self.where} timed out",
            "unreachable": f"The model endpoint at {self.where} is unreachable",
            "rate_limited": f"The model endpoint at {self.where} kept rate-limiting",
            "server_error": f"The model endpoint at {self.where} kept failing",
        }
        raise BackendError(
            f"{messages_by_cause.get(cause, 'The model call failed')}: {last}, after {attempts} attempt(s).",
            cause=cause,
        )


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
    return str(exc.message)[:300]


def _completion(response: Any, messages: list[dict[str, str]]) -> Completion:
    if not getattr(response, "choices", None):
        raise BackendError("The endpoint answered without any choices.", cause="bad_response")
    choice = response.choices[0]
    text = choice.message.content or ""
    usage = getattr(response, "usage", None)
    if usage is not None and usage.prompt_tokens is not None:
        prompt, completion = int(usage.prompt_tokens), int(usage.completion_tokens or 0)
    else:  # some local servers omit usage: estimate rather than bill zero
        prompt = sum(estimate_tokens(m["content"]) + 4 for m in messages)
        completion = estimate_tokens(text)
    return Completion(text, prompt, completion, choice.finish_reason or "stop")
