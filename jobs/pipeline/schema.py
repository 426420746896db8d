"""A small JSON Schema validator and the schemas the structured stages use.

Only the subset the engine needs (type, properties, required,
additionalProperties, items, enum, min/max items, minLength, minimum,
maximum) — enough to check model answers without another dependency. The
schemas are also valid OpenAI "strict" structured-output schemas: every
object lists all its properties as required and forbids extra ones.
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def validate(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Return a list of human-readable problems (empty when valid)."""
    problems: list[str] = []
    expected = schema.get("type")
    if expected:
        ok = isinstance(value, _TYPES[expected]) and not (
            expected in ("integer", "number") and isinstance(value, bool)
        )
        if not ok:
            return [f"{path}: expected {expected}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and len(value.strip()) < schema.get("minLength", 0):
        problems.append(f"{path}: text is too short")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value} is above {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{path}: needs at least {schema['minItems']} items, got {len(value)}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path}: allows at most {schema['maxItems']} items, got {len(value)}")
        if "items" in schema:
            for i, item in enumerate(value):
                problems.extend(validate(item, schema["items"], f"{path}[{i}]"))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: missing '{key}'")
        if schema.get("additionalProperties") is False:
            for key in value:
                if key not in props:
                    problems.append(f"{path}: unexpected '{key}'")
        for key, sub in props.items():
            if key in value:
                problems.extend(validate(value[key], sub, f"{path}.{key}"))
    return problems


def _obj(**props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _str() -> dict[str, Any]:
    return {"type": "string", "minLength": 1}


def _strs(min_items: int = 1) -> dict[str, Any]:
    return {"type": "array", "items": _str(), "minItems": min_items}


INTERPRETATION = _obj(
    title=_str(), logline=_str(), premise=_str(), themes=_strs(), tone=_str(), style_notes=_str()
)
LOCATION = _obj(name=_str(), description=_str())
WORLD = _obj(
    name=_str(),
    laws=_strs(),
    boundaries=_strs(),
    locations={"type": "array", "items": LOCATION, "minItems": 2},
    core_conflict=_str(),
    theme=_str(),
)
CHARACTER = _obj(
    name=_str(),
    gender={"type": "string", "enum": ["f", "m", "x"]},
    role=_str(),
    goal=_str(),
    arc=_str(),
    contradictions=_strs(),
    voice=_str(),
)
CAST = _obj(characters={"type": "array", "items": CHARACTER, "minItems": 2})
BEAT = _obj(name=_str(), description=_str())
ACT = _obj(
    number={"type": "integer", "minimum": 1},
    name=_str(),
    purpose=_str(),
    proportion={"type": "number", "minimum": 0, "maximum": 1},
    beats={"type": "array", "items": BEAT, "minItems": 1},
)
STRUCTURE = _obj(
    structure=_str(),
    acts={"type": "array", "items": ACT, "minItems": 1},
    pacing={"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}, "minItems": 2},
)
# What a model is asked for at stage 04. The engine renumbers the acts, scales the proportions to sum
# to 1 and checks the pacing curve itself, so the answer's numbers only need to be numbers:
# grammar-constrained servers (llama.cpp) cannot hold a small model to numeric bounds.
ACT_ANSWER = _obj(
    number={"type": "integer"},
    name=_str(),
    purpose=_str(),
    proportion={"type": "number", "minimum": 0},
    beats={"type": "array", "items": BEAT, "minItems": 1},
)
STRUCTURE_ANSWER = _obj(
    structure=_str(),
    acts={"type": "array", "items": ACT_ANSWER, "minItems": 1},
    pacing={"type": "array", "items": {"type": "number"}, "minItems": 2},
)
# What a model writes for a segment; the engine adds index, act and size.
# Blank texts are allowed here: the engine fills them (grammar-bound small models write "\n" summaries).
SEGMENT_DRAFT = _obj(
    title={"type": "string"},
    summary={"type": "string"},
    key_events={"type": "array", "items": {"type": "string"}, "minItems": 1},
    characters={"type": "array", "items": {"type": "string"}},
    location={"type": "string"},
)
SEGMENTS = _obj(segments={"type": "array", "items": SEGMENT_DRAFT, "minItems": 1})
SEGMENT = _obj(
    index={"type": "integer", "minimum": 1},
    act={"type": "integer", "minimum": 1},
    title=_str(),
    summary=_str(),
    key_events=_strs(),
    characters=_strs(),
    location=_str(),
    target_words={"type": "integer", "minimum": 50},
)
COHERENCE = _obj(
    score={"type": "number", "minimum": 0, "maximum": 1},
    issues={"type": "array", "items": _str()},
)
REVIEW = _obj(chapter_titles=_strs(), notes={"type": "array", "items": _str()})
PLAN = _obj(
    version={"type": "integer"},
    interpretation=INTERPRETATION,
    world=WORLD,
    characters={"type": "array", "items": CHARACTER, "minItems": 1},
    structure=STRUCTURE,
    segments={"type": "array", "items": SEGMENT, "minItems": 1},
)
PLAN["required"] = [k for k in PLAN["required"] if k != "version"]  # a hand-edited plan may omit it
