"""Reading a model's JSON answer tolerantly, then strictly.

Tolerant where that cannot change the meaning: raw control characters inside
strings, a code fence, prose before or after the object, a trailing comma.
Normalised where the intent is unambiguous: a proportion of 25 on a 0..1
scale means 25 %, a whole number sent as 3.0 is 3, a number sent as "0.4" is
0.4. Then validated against the schema; a problem names the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import schema as schemas

_FENCE_RE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA_RE = re.compile(r",\s*([}\]])")


def _balanced_object(text: str) -> str | None:
    """The {...} that starts at the first brace of ``text``, if it is complete (braces in strings ignored).

    Only the first brace: when that object is cut off, an inner object is not the answer.
    """
    start = text.find("{")
    if start != -1:
        depth, in_string, escape = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_string:
                if escape:
                    escape = False
                elif ch == "\\":
                    escape = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return text[start : i + 1]
    return None


def extract(answer: str) -> tuple[Any, str | None]:
    """The JSON value in ``answer``, or a sentence saying why there is none."""
    text = answer.strip()
    fence = _FENCE_RE.search(text)
    if fence:
        text = fence.group(1).strip()
    candidates = [text]
    inner = _balanced_object(text)
    if inner is not None and inner != text:
        candidates.append(inner)
    error: ValueError | None = None
    for candidate in candidates:
        for variant in (candidate, _TRAILING_COMMA_RE.sub(r"\1", candidate)):
            try:
                return json.loads(variant, strict=False), None  # strict=False: raw control characters
            except ValueError as exc:
                error = error or exc
    if inner is None and "{" in text:
        return None, "not JSON (the object is cut off — the answer ended before its closing brace)"
    if isinstance(error, json.JSONDecodeError):
        return None, f"not JSON ({error.msg} at position {error.pos})"
    return None, "not JSON"


def normalise(value: Any, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "object" and isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: normalise(v, props[k]) if k in props else v for k, v in value.items()}
    if kind == "array" and isinstance(value, list) and "items" in schema:
        return [normalise(v, schema["items"]) for v in value]
    if kind in ("number", "integer"):
        if isinstance(value, str):
            try:
                value = float(value.strip().rstrip("%"))
            except ValueError:
                return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if schema.get("minimum") == 0 and schema.get("maximum") == 1 and 1 < value <= 100:
                value = value / 100  # a percentage on a 0..1 scale
            if kind == "integer" and float(value).is_integer():
                value = int(value)
        return value
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def parse(answer: str, json_schema: dict[str, Any]) -> tuple[Any, str | None]:
    value, problem = extract(answer)
    if problem is not None:
        return None, problem
    value = normalise(value, json_schema)
    problems = schemas.validate(value, json_schema)
    if problems:
        return None, "; ".join(problems[:3])
    return value, None
