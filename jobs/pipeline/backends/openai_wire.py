"""How requests are shaped per JSON mode, and what a server's refusal means.

Kept apart from the HTTP loop (``openai_backend``) so each rule is a small
pure function with its own test.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Strict structured outputs (OpenAI) refuse string-length keywords; numbers' and arrays' bounds are fine.
_STRICT_UNSUPPORTED = frozenset({"minLength", "maxLength"})
# Grammar-constrained servers (llama.cpp) follow the schema literally: without caps a tiny model can
# write one string or one array until max_tokens runs out.
GRAMMAR_STRING_CAP = 160  # characters: a title, a name, a sentence
GRAMMAR_ITEMS_CAP = 5


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _STRICT_UNSUPPORTED:
            continue
        if key == "properties":
            out[key] = {k: strict_schema(v) for k, v in value.items()}
        elif key == "items":
            out[key] = strict_schema(value)
        else:
            out[key] = value
    return out


def grammar_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every bound kept and runaway strings/arrays capped."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {k: grammar_schema(v) for k, v in value.items()}
        elif key == "items":
            out[key] = grammar_schema(value)
        else:
            out[key] = value
    if out.get("type") == "string" and "enum" not in out:
        out.setdefault("maxLength", GRAMMAR_STRING_CAP)
    if out.get("type") == "array":
        out.setdefault("maxItems", max(GRAMMAR_ITEMS_CAP, out.get("minItems", 0)))
    return out


def schema_instruction(schema: dict[str, Any]) -> str:
    return (
        "Answer with one JSON object and nothing else (no code fence, no comments). It must match this "
        "JSON Schema, bounds included:\n" + json.dumps(grammar_schema(schema), ensure_ascii=False)
    )


def with_schema_in_prompt(messages: list[dict[str, str]], schema: dict[str, Any]) -> list[dict[str, str]]:
    out = [dict(m) for m in messages]
    note = schema_instruction(schema)
    if out and out[0].get("role") == "system":
        out[0]["content"] = f"{out[0]['content']}\n\n{note}"
    else:
        out.insert(0, {"role": "system", "content": note})
    return out


def json_request(
    messages: list[dict[str, str]], schema: dict[str, Any], mode: str, name: str
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The messages and extra request fields for ``mode``."""
    if mode == "json_schema":
        fmt = {
            "type": "json_schema",
            "json_schema": {"name": name[:64] or "answer", "schema": strict_schema(schema), "strict": True},
        }
        return messages, {"response_format": fmt}
    if mode == "json_object":
        # llama-cpp-python turns "schema" into a grammar; servers that do not know it ignore it.
        return with_schema_in_prompt(messages, schema), {
            "response_format": {"type": "json_object", "schema": grammar_schema(schema)}
        }
    if mode == "prompt":
        return with_schema_in_prompt(messages, schema), {}
    raise ValueError(f"unknown JSON mode {mode!r}")


# --- refusals -------------------------------------------------------------------------------------
_CONTEXT_RE = re.compile(
    r"context (length|window|size)|maximum context|n_ctx|too many tokens|prompt is too long|"
    r"exceed(s|ed)? (the )?(context|maximum)|requested tokens|reduce the length|max_tokens.*too large",
    re.IGNORECASE,
)
_MODE_RE = re.compile(r"response_format|json_schema|json_object|structured output|grammar", re.IGNORECASE)
_MODEL_RE = re.compile(
    r"model\b.*\b(not found|does not exist|unknown|not available|no such)|unknown model|model_not_found",
    re.IGNORECASE,
)
_STREAM_OPTIONS_RE = re.compile(r"stream_options|include_usage", re.IGNORECASE)


def refusal_kind(status: int, detail: str, *, asked_json: bool, sent_stream_options: bool) -> str:
    """What a 4xx/5xx means for the caller.

    ``json_mode`` (try the next mode), ``stream_options`` (resend without it),
    ``context_length`` (make the request smaller), ``unknown_model``, ``auth``,
    ``rate_limited`` and ``server_error`` (retry) or ``bad_request`` (will repeat).
    """
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limited"
    if status in (400, 404, 413, 422, 500) and _CONTEXT_RE.search(detail):
        return "context_length"
    if status in (400, 422, 500) and asked_json and _MODE_RE.search(detail):
        return "json_mode"
    if status in (400, 422, 500) and sent_stream_options and _STREAM_OPTIONS_RE.search(detail):
        return "stream_options"
    if status in (400, 404, 422) and _MODEL_RE.search(detail):
        return "unknown_model"
    if status == 404 and "model" in detail.lower():
        return "unknown_model"
    if status >= 500:
        return "server_error"
    return "bad_request"


def error_detail(body: Any, fallback: str) -> str:
    """The server's own reason, from an OpenAI-style error body or whatever it sent."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            for key in ("message", "detail", "msg"):
                if err.get(key):
                    return str(err[key])
        if isinstance(err, str) and err:
            return err
        if body.get("detail"):
            return (
                json.dumps(body["detail"], ensure_ascii=False)
                if not isinstance(body["detail"], str)
                else body["detail"]
            )
    if isinstance(body, str) and body.strip():
        return body.strip()
    return fallback


def model_context(entry: dict[str, Any]) -> int | None:
    """The context window a /v1/models entry states, where the server says (vLLM, LM Studio, llama.cpp)."""
    for source in (entry, entry.get("meta") or {}):
        for key in ("max_model_len", "context_length", "context_window", "max_context_length", "n_ctx"):
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(value, int) and value > 0:
                return value
    return None
