"""The production brief: a validated, immutable value object.

Everything the web form, the queue and the CLI pass into the pipeline goes
through ``Brief.from_dict`` so bad input fails early with a message naming the
field and the values it accepts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

PRODUCTION_TYPES: tuple[str, ...] = ("short_story", "novella", "novel", "epic_saga")
GENRES: tuple[str, ...] = (
    "fantasy",
    "scifi",
    "horror",
    "thriller",
    "mystery",
    "drama",
    "romance",
    "hybrid",
)
LANGUAGES: tuple[str, ...] = ("en", "pl")
TONES: tuple[str, ...] = ("neutral", "dark", "hopeful", "whimsical", "tense", "lyrical")
STRUCTURES: tuple[str, ...] = ("three_act", "hero_journey", "kishotenketsu", "five_act")
POVS: tuple[str, ...] = ("third_limited", "first", "third_omniscient", "second")
TENSES: tuple[str, ...] = ("past", "present")
# Stage 08, the polishing pass: off, only the segments the local checks flag, or every segment.
POLISH_MODES: tuple[str, ...] = ("off", "flagged", "every")
DEFAULT_POLISH = "flagged"

# (min, max, default) target words per production type.
_TYPE_WORDS: dict[str, tuple[int, int, int]] = {
    "short_story": (5_000, 10_000, 7_500),
    "novella": (10_000, 40_000, 25_000),
    "novel": (40_000, 120_000, 80_000),
    "epic_saga": (120_000, 500_000, 200_000),
}

MAX_INSPIRATION = 4000
MAX_TITLE = 500
MAX_NOTES = 4000


class BriefError(ValueError):
    """A brief field is missing or wrong; names the field and what it accepts."""

    def __init__(self, field_name: str, problem: str, allowed: list[Any] | None = None) -> None:
        self.field = field_name
        self.allowed = list(allowed) if allowed is not None else None
        message = f"{field_name}: {problem}"
        if self.allowed is not None:
            message += f" (allowed: {', '.join(str(a) for a in self.allowed)})"
        super().__init__(message)


def _text(data: dict[str, Any], name: str, *, max_len: int, required: bool = False) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise BriefError(name, "is required")
        return ""
    if not isinstance(value, str):
        raise BriefError(name, f"must be text, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise BriefError(name, "must not be empty")
    if len(value) > max_len:
        raise BriefError(name, f"is {len(value)} characters long; at most {max_len} allowed")
    return value


def _choice(data: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None) -> str:
    value = data.get(name)
    if value is None or value == "":
        if default is None:
            raise BriefError(name, "is required", list(allowed))
        return default
    if not isinstance(value, str):
        raise BriefError(name, f"must be text, not {type(value).__name__}", list(allowed))
    value = value.strip().lower()
    if value not in allowed:
        raise BriefError(name, f"unknown value {value!r}", list(allowed))
    return value


def _validate_world(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BriefError("world", f"must be an object, not {type(value).__name__}")
    if not value:
        return None
    world = value.get("world")
    if not isinstance(world, dict) or not isinstance(world.get("name"), str) or not world["name"].strip():
        raise BriefError("world", "must contain a 'world' object with a non-empty 'name'")
    chars = value.get("characters", [])
    if not isinstance(chars, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"].strip() for c in chars
    ):
        raise BriefError("world", "'characters' must be a list of objects each with a 'name'")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise BriefError("world", f"must be JSON-serialisable ({exc})") from None
    return value


@dataclass(frozen=True)
class Brief:
    production_type: str
    genre: str
    inspiration: str
    title: str = ""
    language: str = "en"
    target_words: int = 0  # 0 in the constructor means "the type's default"
    world_notes: str = ""
    world: dict[str, Any] | None = field(default=None, compare=True, hash=False)
    tone: str = "neutral"
    structure: str = "three_act"
    pov: str = "third_limited"
    tense: str = "past"
    review_plan: bool = False
    revision_instructions: str = ""
    polish: str = DEFAULT_POLISH  # see jobs/pipeline/polish.py

    def __post_init__(self) -> None:
        # Run the same checks as from_dict so a directly built Brief is valid too.
        checked = Brief._checked(self._raw())
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def _raw(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def type_range(production_type: str) -> tuple[int, int]:
        if production_type not in _TYPE_WORDS:
            raise BriefError("production_type", f"unknown value {production_type!r}", list(PRODUCTION_TYPES))
        low, high, _ = _TYPE_WORDS[production_type]
        return low, high

    @staticmethod
    def default_words(production_type: str) -> int:
        Brief.type_range(production_type)
        return _TYPE_WORDS[production_type][2]

    @staticmethod
    def _checked(data: dict[str, Any]) -> dict[str, Any]:
        ptype = _choice(data, "production_type", PRODUCTION_TYPES, None)
        out: dict[str, Any] = {
            "production_type": ptype,
            "genre": _choice(data, "genre", GENRES, None),
            "inspiration": _text(data, "inspiration", max_len=MAX_INSPIRATION, required=True),
            "title": _text(data, "title", max_len=MAX_TITLE),
            "language": _choice(data, "language", LANGUAGES, "en"),
            "world_notes": _text(data, "world_notes", max_len=MAX_NOTES),
            "world": _validate_world(data.get("world")),
            "tone": _choice(data, "tone", TONES, "neutral"),
            "structure": _choice(data, "structure", STRUCTURES, "three_act"),
            "pov": _choice(data, "pov", POVS, "third_limited"),
            "tense": _choice(data, "tense", TENSES, "past"),
            "revision_instructions": _text(data, "revision_instructions", max_len=MAX_NOTES),
            "polish": _choice(data, "polish", POLISH_MODES, DEFAULT_POLISH),
        }
        review = data.get("review_plan", False)
        if review is None:
            review = False
        if not isinstance(review, bool):
            raise BriefError(
                "review_plan", f"must be true or false, not {type(review).__name__}", [True, False]
            )
        out["review_plan"] = review
        low, high = Brief.type_range(ptype)
        words = data.get("target_words")
        if words in (None, "", 0):
            words = Brief.default_words(ptype)
        # bool is an int subclass; a checkbox value must not become a word count.
        if isinstance(words, bool) or not isinstance(words, int):
            raise BriefError("target_words", f"must be a whole number, not {type(words).__name__}")
        if not low <= words <= high:
            raise BriefError(
                "target_words", f"{words} is outside the {ptype} range {low:,}–{high:,}", [low, high]
            )
        out["target_words"] = words
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Brief:
        if not isinstance(data, dict):
            raise BriefError("brief", f"must be an object, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BriefError(unknown[0], "is not a brief field", sorted(known))
        return cls(**cls._checked(data))

    def to_dict(self) -> dict[str, Any]:
        return self._raw()

    @property
    def seed(self) -> int:
        """A stable seed from the brief: same brief, same offline narrative."""
        import hashlib

        # The polish choice is left out: the same story is drafted whichever pass follows it.
        story = {k: v for k, v in self.to_dict().items() if k != "polish"}
        blob = json.dumps(story, sort_keys=True, ensure_ascii=False).encode()
        return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")
