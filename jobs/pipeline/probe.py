"""Test a model connection before it writes: reachable, key accepted, models served, JSON, window.

``probe_connection`` lists the server's models (``GET /v1/models``), makes
one tiny structured call per tier model (the same JSON-mode detection the
engine uses, from ``json_schema`` down), times it, and finds the context
window: the configured one, else what the server states (``/v1/models``
metadata, llama.cpp's ``/props``), else the engine's assumption. Each failure
has its own ``cause`` and a sentence in the writer's words, with the server's
own reason (redacted) beside it: a refused key (``auth``), a model the server
does not list (``unknown_model``), no answer (``unreachable``, ``timeout``),
an address the host guard refuses (``unsafe_host``), a redirect
(``redirect``), the server's errors.

Used by ``manage.py llm_check`` (the operator's connection) and the "Test
connection" button (a writer's own; its requests go through the host guard).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .backends import get_backend
from .config import TIERS, EngineConfig
from .connection import DEFAULT_CONTEXT_WINDOW, Connection, JsonModeMemory
from .errors import BackendError
from .hostguard import UnsafeURL, check_base_url
from .jsonparse import parse
from .redact import redact, safe_url

PROBE_TIMEOUT_SECONDS = 20.0
PROBE_MAX_TOKENS = 32  # {"ready": true} is a handful of tokens; a chat template's preamble fits too
READY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ready": {"type": "boolean"}},
    "required": ["ready"],
    "additionalProperties": False,
}
PROBE_MESSAGES = [
    {"role": "system", "content": "You are checking a connection. Answer in JSON only."},
    {"role": "user", "content": 'Reply with {"ready": true}.'},
]
TIER_WORDS = {"mini": "planning and editing", "gpt4": "writing the prose"}
JSON_MODE_WORDS = {
    "json_schema": "structured outputs (JSON schema)",
    "json_object": "JSON mode",
    "prompt": "JSON by instruction (the server has no JSON mode; answers are checked and repaired)",
}
CONTEXT_SOURCE_WORDS = {
    "configured": "as set on this connection",
    "server": "stated by the server",
    "assumed": "not stated by the server; NarraForge assumes this",
}


@dataclass(frozen=True)
class TierCheck:
    tier: str
    model: str
    ok: bool
    seconds: float | None = None
    note: str = ""  # a failure, or a caveat about the answer


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    cause: str  # "ok", or what failed: auth, unknown_model, unreachable, timeout, unsafe_host, redirect, …
    headline: str  # one sentence for the writer
    where: str  # the endpoint, user info and query values masked
    detail: str = ""  # the server's own reason, redacted
    models: tuple[str, ...] | None = None  # what /v1/models lists (None: no list, or not reached)
    tiers: tuple[TierCheck, ...] = ()
    json_mode: str | None = None
    context_window: int | None = None
    context_source: str = ""  # configured | server | assumed
    list_seconds: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def json_mode_words(self) -> str:
        return JSON_MODE_WORDS.get(self.json_mode or "", "")

    @property
    def context_words(self) -> str:
        if not self.context_window:
            return ""
        return f"{self.context_window:,} tokens ({CONTEXT_SOURCE_WORDS[self.context_source]})"

    def lines(self) -> list[str]:
        """The result as plain lines (the command's output; the page lays out the same facts)."""
        out = [self.headline]
        if self.detail:
            out.append(f"The server said: {self.detail}")
        for check in self.tiers:
            timing = f" in {check.seconds:.1f} s" if check.seconds is not None else ""
            state = "answered" if check.ok else "failed"
            out.append(
                f"{TIER_WORDS.get(check.tier, check.tier)} ({check.tier}): {check.model} {state}{timing}"
                f"{f' — {check.note}' if check.note else ''}"
            )
        if self.json_mode:
            out.append(f"JSON: {self.json_mode_words}")
        if self.context_window:
            out.append(f"Context window: {self.context_words}")
        if self.models is not None:
            shown = ", ".join(self.models[:12]) or "none"
            more = f" and {len(self.models) - 12} more" if len(self.models) > 12 else ""
            out.append(f"Models it offers: {shown}{more}")
        out.extend(self.notes)
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (a page can keep the last result); holds no key."""
        return {
            "ok": self.ok,
            "cause": self.cause,
            "headline": self.headline,
            "where": self.where,
            "detail": self.detail,
            "models": list(self.models) if self.models is not None else None,
            "tiers": [check.__dict__ for check in self.tiers],
            "json_mode": self.json_mode,
            "context_window": self.context_window,
            "context_source": self.context_source,
            "list_seconds": self.list_seconds,
            "notes": list(self.notes),
        }


def _failure_headline(exc: BackendError, where: str, tier: str = "", model: str = "") -> str:
    cause = exc.cause
    if cause == "auth":
        return (
            "The server refused the API key. Check that the whole key was pasted and that it is "
            "still active with your provider."
        )
    if cause == "unreachable":
        return (
            f"NarraForge could not reach the server at {where}. Check the address and that the "
            "server is running and reachable from NarraForge's machine."
        )
    if cause == "timeout":
        return (
            f"The server at {where} did not answer in time: it may be overloaded, or still loading a model."
        )
    if cause in ("unsafe_host", "redirect"):
        return str(exc)
    if cause == "rate_limited":
        return "The server is rate-limiting this key: wait a little, or check the key's limits."
    if cause == "unknown_model":
        return f"The server does not offer the model “{model}” (chosen for {TIER_WORDS.get(tier, tier)})."
    if cause == "context_length":
        return f"The model “{model}” refused even a tiny request: its context window is too small."
    if cause == "server_error":
        return f"The server failed while answering{f' for “{model}”' if model else ''}."
    return f"The server refused the test request{f' for “{model}”' if model else ''}."


def _failed(conn: Connection, exc: BackendError, where: str, **fields: Any) -> ProbeResult:
    tier, model = fields.pop("tier", ""), fields.pop("model", "")
    # The server's own words; else the backend's sentence, except where the headline already says it all.
    detail = exc.detail or ("" if exc.cause in ("unsafe_host", "redirect", "timeout") else str(exc))
    return ProbeResult(
        ok=False,
        cause=exc.cause,
        headline=_failure_headline(exc, where, tier, model),
        where=where,
        detail=redact(detail, [conn.api_key])[:400],
        **fields,
    )


def probe_connection(
    conn: Connection,
    *,
    timeout: float = PROBE_TIMEOUT_SECONDS,
    json_modes: JsonModeMemory | None = None,
) -> ProbeResult:
    """Check ``conn`` end to end; never raises for anything the server or the network does.

    ``json_modes``: where the detected JSON mode is kept for jobs (the
    process/Redis memory); detection itself starts afresh, so the probe
    really tries the server rather than trusting an old answer.
    """
    where = safe_url(conn.endpoint)
    if conn.guarded:
        try:
            check_base_url(conn.endpoint, allow_private=conn.allow_private_hosts)
        except UnsafeURL as exc:
            return ProbeResult(ok=False, cause="unsafe_host", headline=str(exc), where=where)
    detection = JsonModeMemory()
    config = EngineConfig(connection=conn, request_timeout=timeout, max_attempts=1, json_modes=detection)
    try:
        backend: Any = get_backend("openai", config)
    except BackendError as exc:
        return _failed(conn, exc, where)

    started = time.monotonic()
    try:
        served = backend.served_models()
    except BackendError as exc:
        return _failed(conn, exc, where)
    list_seconds = round(time.monotonic() - started, 3)
    listed = tuple(sorted(served)) if served is not None else None
    tier_models = {tier: conn.model_for(tier) for tier in TIERS}
    missing = {
        tier: model for tier, model in tier_models.items() if served is not None and model not in served
    }
    if missing:
        names = " and ".join(f"“{model}” (chosen for {TIER_WORDS[tier]})" for tier, model in missing.items())
        return ProbeResult(
            ok=False,
            cause="unknown_model",
            headline=(
                f"The server does not offer the model{'s' if len(missing) > 1 else ''} {names}. "
                f"Pick {'ones' if len(missing) > 1 else 'one'} it offers (listed below)."
                if listed
                else f"The server does not offer {names}, and lists no models at all."
            ),
            where=where,
            models=listed,
            list_seconds=list_seconds,
        )

    checks: list[TierCheck] = []
    timings: dict[str, tuple[float, str]] = {}  # one call per distinct model: tiers often share one
    notes: list[str] = []
    for tier, model in tier_models.items():
        if model in timings:
            seconds, note = timings[model]
            checks.append(TierCheck(tier, model, True, seconds, note or "same model as above"))
            continue
        started = time.monotonic()
        try:
            completion = backend.complete(
                PROBE_MESSAGES, tier=tier, model=model, json_schema=READY_SCHEMA, max_tokens=PROBE_MAX_TOKENS
            )
        except BackendError as exc:
            failed = TierCheck(tier, model, False)  # the headline says why
            return _failed(
                conn,
                exc,
                where,
                tier=tier,
                model=model,
                models=listed,
                list_seconds=list_seconds,
                tiers=(*checks, failed),
            )
        seconds = round(time.monotonic() - started, 3)
        _value, problem = parse(completion.text, READY_SCHEMA)
        note = ""
        if problem:
            note = "its answer was not clean JSON (jobs check and repair such answers, at some cost)"
        timings[model] = (seconds, note)
        checks.append(TierCheck(tier, model, True, seconds, note))

    mode = conn.json_mode if conn.json_mode != "auto" else detection.get(conn.endpoint)
    if mode and conn.json_mode == "auto" and json_modes is not None:
        json_modes.set(conn.endpoint, mode)

    window, source = conn.context_window, "configured"
    if window is None:
        stated = [w for m, w in (served or {}).items() if m in tier_models.values() and w]
        window, source = (min(stated), "server") if stated else (backend.server_context(), "server")
    if window is None:
        window, source = DEFAULT_CONTEXT_WINDOW, "assumed"
    if window < 4096:
        notes.append(
            f"A {window:,}-token window is small: NarraForge writes in short passages and keeps less "
            "of the story in each request."
        )
    slowest = max((c.seconds or 0.0) for c in checks)
    return ProbeResult(
        ok=True,
        cause="ok",
        headline=(
            f"Connected: the server accepted the key and answered in {slowest:.1f} s"
            f"{'' if len(timings) == 1 else ' (the slower model)'}."
        ),
        where=where,
        models=listed,
        tiers=tuple(checks),
        json_mode=mode,
        context_window=window,
        context_source=source,
        list_seconds=list_seconds,
        notes=tuple(notes),
    )
