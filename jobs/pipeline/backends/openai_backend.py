"""Any OpenAI-compatible Chat Completions endpoint, through the official SDK.

Every call streams (``stream: true``, usage from the final chunk via
``stream_options.include_usage``, counted from the text when a server sends
none), so the timeout is an *idle* timeout — no byte for
``config.request_timeout`` seconds — not a cap on a long answer, and an
abandoned stream is closed (a one-request-at-a-time server stops generating).

The SDK's own retries are off (``max_retries=0``): this module owns the
policy. 429, 5xx, timeouts and dropped connections are retried with
exponential backoff and jitter, honouring ``Retry-After``, for at most
``config.max_attempts`` attempts. Errors that would repeat (auth, an unknown
model, a context-length refusal, any other 4xx) fail at once with the
server's reason, redacted. A refused JSON mode falls back to the next one
(see ``connection``) and the mode that works is remembered per endpoint.

A writer's own connection (``Connection.source == "user"``) goes through the
host guard (``hostguard``, ``guarded_http``): its address is checked before
the first request and at every connect, redirects are reported instead of
followed, and messages name "this connection" rather than the operator's
settings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import openai

from ..config import EngineConfig
from ..connection import JSON_MODES
from ..errors import BackendError
from ..hostguard import UnsafeURL, check_base_url
from ..redact import redact, safe_url
from ..text import estimate_tokens
from .base import CallObserver, Completion, Task
from .guarded_http import guarded_client, unsafe_cause
from .openai_wire import error_detail, json_request, model_context, refusal_kind

TEXT_EMIT_SECONDS = 0.25  # on_text at most this often while streaming


class _ModeRefused(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


class _Incomplete(Exception):
    """The stream ended without a finish reason: a dropped answer."""


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


def prompt_estimate(messages: list[dict[str, str]]) -> int:
    return sum(estimate_tokens(m.get("content", "")) + 4 for m in messages)


class OpenAIBackend:
    name = "openai"
    streams = True  # accepts ``observer=`` in complete()

    def __init__(
        self,
        config: EngineConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        conn = config.connection
        if not conn.api_key and not conn.guarded:
            raise BackendError(
                "No API key is configured for the openai backend (set OPENAI_API_KEY).", cause="auth"
            )
        self.config = config
        self.connection = conn
        self.where = safe_url(conn.endpoint)
        http_client = None
        if conn.guarded:
            try:
                check_base_url(conn.endpoint, allow_private=conn.allow_private_hosts)
            except UnsafeURL as exc:
                raise BackendError(str(exc), cause="unsafe_host") from None
            http_client = guarded_client(allow_private=conn.allow_private_hosts)
        self.client = openai.OpenAI(
            # A writer's local server (Ollama, LM Studio, llama.cpp) may need no key; the SDK needs one.
            api_key=conn.api_key or "no-key",
            base_url=conn.base_url or None,
            timeout=config.request_timeout,
            max_retries=0,
            http_client=http_client,
        )
        self._sleep = sleep
        self._jitter = jitter
        self._stream_usage = True  # cleared when a server refuses stream_options

    # -- helpers -----------------------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        return redact(text, [self.connection.api_key])[:400]

    def _key_refused(self, status: int, detail: str = "") -> BackendError:
        hint = "check this connection's API key" if self.connection.guarded else "check OPENAI_API_KEY"
        return BackendError(
            f"The endpoint refused the API key (HTTP {status}) at {self.where}; {hint}.",
            cause="auth",
            detail=detail,
        )

    def _redirected(self, exc: openai.APIStatusError) -> BackendError:
        target = safe_url(exc.response.headers.get("location", "")) or "another address"
        return BackendError(
            f"The endpoint at {self.where} answered with a redirect (HTTP {exc.status_code}) to {target}; "
            "NarraForge does not follow redirects: use the final address as the base URL.",
            cause="redirect",
        )

    def _connect_failure(self, exc: Exception) -> BackendError | None:
        """A host-guard refusal behind a connection error, as a BackendError that is not retried."""
        if not self.connection.guarded:
            return None
        refused = unsafe_cause(exc)
        return BackendError(str(refused), cause="unsafe_host") if refused else None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        wait = min(cfg.backoff_cap, cfg.backoff_base * 2 ** (attempt - 1))
        wait *= 0.5 + 0.5 * self._jitter()  # "equal jitter": spreads out retry storms
        if retry_after is not None:
            wait = max(wait, min(retry_after, max(cfg.backoff_cap, 300.0)))
        return wait

    def json_modes(self) -> list[str]:
        """The modes to try, best first: the configured one, or from the remembered one on."""
        conn = self.connection
        if conn.json_mode != "auto":
            return [conn.json_mode]
        known = self.config.json_modes.get(conn.endpoint)
        return list(JSON_MODES[JSON_MODES.index(known) :]) if known else list(JSON_MODES)

    # -- the call ----------------------------------------------------------------------------------
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
        observer = observer or CallObserver()
        if json_schema is None:
            return self._with_retries(messages, {}, model, max_tokens, observer, asked_json=False)
        name = task.schema_name if task and task.schema_name else "answer"
        modes = self.json_modes()
        last = ""
        for mode in modes:
            request_messages, extra = json_request(messages, json_schema, mode, name)
            try:
                completion = self._with_retries(
                    request_messages, extra, model, max_tokens, observer, asked_json=bool(extra)
                )
            except _ModeRefused as refused:
                last = refused.detail
                continue
            if self.connection.json_mode == "auto":
                self.config.json_modes.set(self.connection.endpoint, mode)
            return completion
        raise BackendError(
            f"The endpoint at {self.where} refused every way of asking for JSON ({', '.join(modes)}): {last}",
            cause="bad_request",
        )

    def _with_retries(
        self,
        messages: list[dict[str, str]],
        extra: dict[str, Any],
        model: str,
        max_tokens: int,
        observer: CallObserver,
        *,
        asked_json: bool,
    ) -> Completion:
        attempts = max(1, self.config.max_attempts)
        last, cause = "", "error"
        attempt = 0
        while attempt < attempts:
            attempt += 1
            retry_after: float | None = None
            partial: list[str] = []
            try:
                return self._stream(messages, extra, model, max_tokens, observer, partial)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                raise self._key_refused(
                    exc.status_code, self._redact(error_detail(exc.body, str(exc.message)))
                ) from None
            except openai.APITimeoutError:
                cause, last = "timeout", f"no answer within {self.config.request_timeout:g} s"
                if partial:
                    last = f"no token for {self.config.request_timeout:g} s mid-answer"
            except openai.APIConnectionError as exc:
                refused = self._connect_failure(exc)
                if refused is not None:
                    raise refused from None
                cause, last = "unreachable", f"could not connect ({self._redact(str(exc.__cause__ or exc))})"
                if partial:
                    cause, last = "dropped", "the connection dropped mid-answer"
            except openai.APIStatusError as exc:
                if 300 <= exc.status_code < 400:
                    raise self._redirected(exc) from None
                detail = self._redact(error_detail(exc.body, str(exc.message)))
                kind = refusal_kind(
                    exc.status_code,
                    detail,
                    asked_json=asked_json,
                    sent_stream_options=self._stream_usage,
                )
                if kind == "json_mode":
                    raise _ModeRefused(f"HTTP {exc.status_code}: {detail}") from None
                if kind == "stream_options":
                    self._stream_usage = False  # resend at once; usage is then counted from the text
                    attempt -= 1
                    continue
                if kind in ("rate_limited", "server_error"):
                    cause = kind
                    label = "rate limited" if kind == "rate_limited" else "server error"
                    last = f"{label} (HTTP {exc.status_code}): {detail}"
                    retry_after = _retry_after(exc)
                else:
                    raise BackendError(
                        self._refusal_message(kind, exc.status_code, detail, model), cause=kind, detail=detail
                    ) from None
            except openai.APIError as exc:  # an error event inside the stream
                cause, last = "server_error", f"error mid-answer: {self._redact(str(exc.message))}"
            except _Incomplete:
                cause, last = "dropped", "the answer stopped without a finish reason"
            if observer.on_abandoned is not None and (partial or cause == "timeout"):
                # Spent: the tokens it generated — or, timed out before a first token, the prompt it
                # was sent (possibly billed: a provider may have processed it).
                observer.on_abandoned(prompt_estimate(messages), estimate_tokens("".join(partial)))
            if attempt < attempts:
                self._sleep(self._backoff(attempt, retry_after))
        messages_by_cause = {
            "timeout": f"The model endpoint at {self.where} timed out",
            "unreachable": f"The model endpoint at {self.where} is unreachable",
            "dropped": f"The model endpoint at {self.where} kept breaking off its answers",
            "rate_limited": f"The model endpoint at {self.where} kept rate-limiting",
            "server_error": f"The model endpoint at {self.where} kept failing",
        }
        raise BackendError(
            f"{messages_by_cause.get(cause, 'The model call failed')}: {last}, after {attempts} attempt(s).",
            cause="unreachable" if cause == "dropped" else cause,
        )

    def _refusal_message(self, kind: str, status: int, detail: str, model: str) -> str:
        if kind == "context_length":
            return (
                f"The request did not fit the model's context window (HTTP {status}) "
                f"at {self.where}: {detail}"
            )
        if kind == "unknown_model":
            return (
                f"The endpoint at {self.where} does not serve the model “{model}” (HTTP {status}): {detail}"
            )
        return f"The endpoint rejected the request (HTTP {status}) at {self.where}: {detail}"

    def _stream(
        self,
        messages: list[dict[str, str]],
        extra: dict[str, Any],
        model: str,
        max_tokens: int,
        observer: CallObserver,
        pieces: list[str],
    ) -> Completion:
        kwargs: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": max_tokens, **extra}
        if not self.connection.stream:
            return self._whole(kwargs, messages, observer)
        kwargs["stream"] = True
        if self._stream_usage:
            kwargs["stream_options"] = {"include_usage": True}
        finish: str | None = None
        usage: Any = None
        chunks = 0
        last_emit = time.monotonic()
        stream = self.client.chat.completions.create(**kwargs)
        try:
            for chunk in stream:
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in chunk.choices or ():
                    delta = getattr(choice.delta, "content", None) if choice.delta else None
                    if delta:
                        chunks += 1
                        pieces.append(delta)
                        if observer.on_text is not None and time.monotonic() - last_emit >= TEXT_EMIT_SECONDS:
                            last_emit = time.monotonic()
                            observer.on_text("".join(pieces))
                    if choice.finish_reason:
                        finish = choice.finish_reason
        finally:
            stream.close()
        if finish is None:
            raise _Incomplete()
        text = "".join(pieces)
        if observer.on_text is not None:
            observer.on_text(text)
        if usage is not None and getattr(usage, "prompt_tokens", None) is not None:
            return Completion(text, int(usage.prompt_tokens), int(usage.completion_tokens or 0), finish)
        # No usage (llama.cpp streams one token per chunk): count rather than bill zero, never less
        # than the text's size.
        completion = max(chunks, estimate_tokens(text))
        return Completion(text, prompt_estimate(messages), completion, finish, usage_reported=False)

    def _whole(
        self, kwargs: dict[str, Any], messages: list[dict[str, str]], observer: CallObserver
    ) -> Completion:
        """One non-streamed answer (``Connection.stream`` off)."""
        response = self.client.chat.completions.create(**kwargs)
        if not getattr(response, "choices", None):
            raise BackendError("The endpoint answered without any choices.", cause="bad_response")
        choice = response.choices[0]
        text = choice.message.content or ""
        if observer.on_text is not None:
            observer.on_text(text)
        usage = getattr(response, "usage", None)
        finish = choice.finish_reason or "stop"
        if usage is not None and usage.prompt_tokens is not None:
            return Completion(text, int(usage.prompt_tokens), int(usage.completion_tokens or 0), finish)
        return Completion(
            text, prompt_estimate(messages), estimate_tokens(text), finish, usage_reported=False
        )

    # -- GET /v1/models ----------------------------------------------------------------------------
    def served_models(self) -> dict[str, int | None] | None:
        """Model id → context window (None when unstated); None when the server has no model list."""
        try:
            page = self.client.models.list()
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise self._key_refused(
                exc.status_code, self._redact(error_detail(exc.body, str(exc.message)))
            ) from None
        except openai.NotFoundError:
            return None
        except openai.APIStatusError as exc:
            if 300 <= exc.status_code < 400:
                raise self._redirected(exc) from None
            if exc.status_code in (404, 405, 501):
                return None
            detail = self._redact(error_detail(exc.body, str(exc.message)))
            raise BackendError(
                f"The endpoint at {self.where} could not list its models (HTTP {exc.status_code}): {detail}",
                cause="server_error",
                detail=detail,
            ) from None
        except openai.APITimeoutError:
            raise BackendError(
                f"The model endpoint at {self.where} did not answer within "
                f"{self.config.request_timeout:g} s.",
                cause="timeout",
            ) from None
        except openai.APIConnectionError as exc:
            refused = self._connect_failure(exc)
            if refused is not None:
                raise refused from None
            raise BackendError(
                f"The model endpoint at {self.where} is unreachable.",
                cause="unreachable",
                detail=self._redact(str(exc.__cause__ or exc)),
            ) from None
        out: dict[str, int | None] = {}
        for entry in page.data:
            data = entry.model_dump() if hasattr(entry, "model_dump") else dict(entry)
            out[str(data.get("id"))] = model_context(data)
        return out

    def check_models(self, models: Iterable[str]) -> dict[str, int | None]:
        """Refuse configured model names the server does not list; return what it says of each."""
        served = self.served_models()
        wanted = list(dict.fromkeys(models))
        if served is None:
            return {m: None for m in wanted}
        missing = [m for m in wanted if m not in served]
        if missing:
            listed = ", ".join(sorted(served)[:10]) or "none"
            hint = (
                "Choose models it serves in this connection's settings."
                if self.connection.guarded
                else "Set NF_MODEL_MINI / NF_MODEL_GPT4 to models it serves."
            )
            raise BackendError(
                f"The endpoint at {self.where} does not serve the configured model(s) "
                f"{', '.join(f'“{m}”' for m in missing)} (it serves: {listed}). {hint}",
                cause="unknown_model",
            )
        return {m: served[m] for m in wanted}

    # -- GET /props (llama.cpp) --------------------------------------------------------------------
    def server_context(self) -> int | None:
        """The context window a llama.cpp server runs with (``GET /props``), None elsewhere or on failure.

        /props sits at the server's root, beside /v1; it is asked on the same
        (guarded) client, so it goes nowhere the connection's requests do not.
        """
        root = self.connection.endpoint.removesuffix("/v1")
        try:
            props = self.client.get(f"{root}/props", cast_to=object)
        except openai.APIError:
            return None
        if not isinstance(props, dict):
            return None
        for source in (props, props.get("default_generation_settings") or {}):
            value = source.get("n_ctx") if isinstance(source, dict) else None
            if isinstance(value, int) and value > 0:
                return value
        return None
