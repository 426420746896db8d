"""The codex part of the plan-review editor: the cast, the places and the lore of this story.

A writer renames, adds and removes characters and places and keeps lore at
plan review, before a word is written. A rename follows through the plan: the
segments' casts and locations, and every mention in titles, summaries, key
events, goals and arcs (whole words and possessives; Polish inflected forms
through the offline engine's ``rename_in_text``). Aliases, descriptions,
relationships and lore are not part of the engine's plan: they go with the
drafting job as its brief's ``world["codex"]`` (``codex_entries``), which the
drafting prompts carry (``jobs.pipeline.codex``).

The form carries what the page does not show (a character's voice and
contradictions, the name each row had when it was drawn) in hidden fields, so
every request rebuilds the cast from the form alone. A form without the
``char-count`` / ``loc-count`` / ``lore-count`` fields (an older page, a
script) edits only what it names, by position, as before.
"""

from __future__ import annotations

import re
from typing import Any

from jobs.pipeline.backends.offline.rename import rename_in_text

MAX_CAST = 40
MAX_PLACES = 40
MAX_LORE = 60
NAME_MAX = 120
TEXT_MAX = 2000
ALIASES_MAX = 12
GENDERS = ("f", "m", "x")
GENDER_LABELS = [("f", "Feminine"), ("m", "Masculine"), ("x", "Unspecified")]  # Polish grammar follows it
# What the engine's plan requires of a character the writer adds and does not describe.
DEFAULT_TRAITS = {
    "en": {"voice": "plain and direct", "contradictions": ["wants two things at once"]},
    "pl": {"voice": "prosty i bezpośredni", "contradictions": ["chce dwóch rzeczy naraz"]},
}


def _line(value: Any) -> str:
    return " ".join(str(value or "").split())


def _lines(value: Any) -> list[str]:
    return [x.strip() for x in str(value or "").splitlines() if x.strip()]


def _aliases(value: Any) -> list[str]:
    raw = str(value or "")
    parts = raw.splitlines() if "\n" in raw else raw.split(",")
    out: list[str] = []
    for part in parts:
        alias = _line(part)
        if alias and alias.casefold() not in {a.casefold() for a in out}:
            out.append(alias)
    return out


def _count(data, key: str, limit: int) -> int:
    try:
        return max(0, min(int(data.get(key, 0)), limit))
    except (TypeError, ValueError):
        return 0


class PlanCodexMixin:
    """Mixed into ``jobs.forms.PlanEditor``; needs ``self.plan`` and ``self.errors``."""

    plan: dict[str, Any]
    errors: list[str]

    def _init_codex(self, brief: dict[str, Any] | None) -> None:
        brief = brief or {}
        self.language = brief.get("language") if brief.get("language") in DEFAULT_TRAITS else "en"
        world = brief.get("world") if isinstance(brief.get("world"), dict) else {}
        codex = [e for e in world.get("codex") or [] if isinstance(e, dict) and e.get("name")]
        # name → aliases, description, relationships: what the plan itself has no room for.
        self.extras: dict[str, dict[str, Any]] = {
            e["name"]: {
                "aliases": list(e.get("aliases") or []),
                "description": e.get("description") or "",
                "relationships": e.get("relationships") or "",
            }
            for e in codex
            if e.get("kind") in ("character", "place")
        }
        self.lore: list[dict[str, Any]] = [
            {
                "name": e["name"],
                "aliases": list(e.get("aliases") or []),
                "description": e.get("description") or "",
            }
            for e in codex
            if e.get("kind") == "lore"
        ]
        self.renames: list[tuple[str, str]] = []
        self.codex_errors: dict[str, str] = {}

    # --- reading ---------------------------------------------------------------------
    def _read_codex(self, data) -> None:
        if "char-count" in data:
            self._read_cast(data)
        if "loc-count" in data:
            self._read_places(data)
        if "lore-count" in data:
            self.lore = [
                {
                    "name": _line(data.get(f"lore-{i}-name")),
                    "aliases": _aliases(data.get(f"lore-{i}-aliases")),
                    "description": str(data.get(f"lore-{i}-description") or "").strip(),
                }
                for i in range(_count(data, "lore-count", MAX_LORE))
            ]

    def _read_extras(self, data, prefix: str, name: str) -> None:
        self.extras[name] = {
            "aliases": _aliases(data.get(f"{prefix}-aliases")),
            "description": str(data.get(f"{prefix}-description") or "").strip(),
            "relationships": str(data.get(f"{prefix}-relationships") or "").strip(),
        }

    def _read_cast(self, data) -> None:
        defaults = DEFAULT_TRAITS[self.language]
        cast = []
        for i in range(_count(data, "char-count", MAX_CAST)):
            p = f"char-{i}"
            name = _line(data.get(f"{p}-name"))
            gender = data.get(f"{p}-gender", "x")
            cast.append(
                {
                    "name": name,
                    "gender": gender if gender in GENDERS else "x",
                    "role": _line(data.get(f"{p}-role")),
                    "goal": _line(data.get(f"{p}-goal")),
                    "arc": _line(data.get(f"{p}-arc")),
                    "contradictions": _lines(data.get(f"{p}-contradictions"))
                    or list(defaults["contradictions"]),
                    "voice": _line(data.get(f"{p}-voice")) or defaults["voice"],
                }
            )
            self._read_extras(data, p, name)
            was = _line(data.get(f"{p}-was"))
            if was and name and was != name:
                self.renames.append((was, name))
        self.plan["characters"] = cast

    def _read_places(self, data) -> None:
        places = []
        for i in range(_count(data, "loc-count", MAX_PLACES)):
            p = f"loc-{i}"
            name = _line(data.get(f"{p}-name"))
            places.append({"name": name, "description": str(data.get(f"{p}-description") or "").strip()})
            self._read_extras(data, p, name)
            was = _line(data.get(f"{p}-was"))
            if was and name and was != name:
                self.renames.append((was, name))
        self.plan.setdefault("world", {})["locations"] = places

    def _apply_renames(self) -> None:
        """Carry this request's renames through the segments and the cast's own words."""
        names = [c.get("name", "") for c in self.plan.get("characters", [])]
        for old, new in self.renames:
            first = old.split()[0]
            unique = sum(1 for n in [old, *names] if n.split()[:1] == [first]) <= 2

            def swap(text: str, old: str = old, new: str = new, unique: bool = unique) -> str:
                return rename_in_text(text, old, new, language=self.language, first_name_unique=unique)[0]

            for seg in self.plan.get("segments", []):
                seg["characters"] = [new if c == old else c for c in seg.get("characters", [])]
                if seg.get("location") == old:
                    seg["location"] = new
                for key in ("title", "summary"):
                    seg[key] = swap(str(seg.get(key, "")))
                seg["key_events"] = [swap(e) for e in seg.get("key_events", [])]
            for char in self.plan.get("characters", []):
                for key in ("goal", "arc"):
                    char[key] = swap(str(char.get(key, "")))
            world = self.plan.get("world", {})
            world["core_conflict"] = swap(str(world.get("core_conflict", "")))

    # --- structural operations ---------------------------------------------------------
    def _apply_codex_op(self, op: str) -> bool:
        match = re.fullmatch(r"(char|loc|lore)-(add|remove)(?:-(\d+))?", op or "")
        if not match:
            return False
        what, action, pos = match.group(1), match.group(2), match.group(3)
        if action == "add":
            self._add(what)
        elif pos is not None:
            self._remove(what, int(pos))
        return True

    def _add(self, what: str) -> None:
        if what == "char":
            if len(self.plan.get("characters", [])) >= MAX_CAST:
                self.errors.append(f"A cast holds at most {MAX_CAST} characters.")
                return
            defaults = DEFAULT_TRAITS[self.language]
            self.plan.setdefault("characters", []).append(
                {"name": "", "gender": "x", "role": "", "goal": "", "arc": "", **defaults}
            )
        elif what == "loc":
            if len(self.plan.get("world", {}).get("locations", [])) >= MAX_PLACES:
                self.errors.append(f"A world holds at most {MAX_PLACES} locations here.")
                return
            self.plan.setdefault("world", {}).setdefault("locations", []).append(
                {"name": "", "description": ""}
            )
        elif len(self.lore) >= MAX_LORE:
            self.errors.append(f"At most {MAX_LORE} lore entries.")
        else:
            self.lore.append({"name": "", "aliases": [], "description": ""})

    def _remove(self, what: str, pos: int) -> None:
        segs = self.plan.get("segments", [])
        if what == "lore":
            if 0 <= pos < len(self.lore):
                self.lore.pop(pos)
            return
        if what == "char":
            cast = self.plan.get("characters", [])
            if not 0 <= pos < len(cast):
                return
            name = cast[pos].get("name", "")
            alone = [s["index"] for s in segs if s.get("characters") == [name]]
            if len(cast) == 1:
                self.errors.append("A story needs at least one character.")
            elif alone:
                where = ", ".join(str(i) for i in alone)
                self.errors.append(
                    f"{name} is the only character of segment {where}: put someone else there first."
                )
            else:
                cast.pop(pos)
                for seg in segs:
                    seg["characters"] = [c for c in seg.get("characters", []) if c != name]
            return
        places = self.plan.get("world", {}).get("locations", [])
        if not 0 <= pos < len(places):
            return
        name = places[pos].get("name", "")
        used = [s["index"] for s in segs if s.get("location") == name]
        if len(places) <= 2:
            self.errors.append("A world needs at least two locations.")
        elif used:
            where = ", ".join(str(i) for i in used)
            self.errors.append(f"Segment {where} is set in {name}: move it elsewhere first.")
        else:
            places.pop(pos)

    # --- validation ----------------------------------------------------------------------
    def _codex_valid(self) -> None:
        """Names present, short enough and unique across the cast, the places and their aliases."""
        taken: dict[str, str] = {}
        rows = [("character", c) for c in self.plan.get("characters", [])]
        rows += [("location", loc) for loc in self.plan.get("world", {}).get("locations", [])]
        for kind, row in rows:
            name = row.get("name", "")
            if not name:
                self.errors.append(f"Give the new {kind} a name.")
                continue
            if len(name) > NAME_MAX:
                self.errors.append(f"“{name[:40]}…” is too long for a name: at most {NAME_MAX} characters.")
            extras = self.extras.get(name, {})
            if len(extras.get("description", "")) > TEXT_MAX:
                self.errors.append(f"{name}'s description can be at most {TEXT_MAX:,} characters.")
            if len(extras.get("aliases", [])) > ALIASES_MAX:
                self.errors.append(f"{name} can have at most {ALIASES_MAX} aliases.")
            if kind == "location" and not row.get("description"):
                self.errors.append(f"Describe {name} in a few words.")
            for label in [name, *extras.get("aliases", [])]:
                owner = taken.get(label.casefold())
                if owner is not None:
                    self.errors.append(f"“{label}” is used twice: by {owner} and by {name}.")
                taken.setdefault(label.casefold(), name)
        for entry in self.lore:
            if not entry["name"]:
                self.errors.append("Give the lore entry a title.")
            elif len(entry["name"]) > NAME_MAX or len(entry["description"]) > TEXT_MAX:
                self.errors.append(f"The lore entry “{entry['name'][:40]}” is too long.")

    # --- output ------------------------------------------------------------------------------
    def codex_entries(self) -> list[dict[str, Any]]:
        """This story's codex, for the drafting job's brief (``world["codex"]``)."""
        out = []
        for c in self.plan.get("characters", []):
            extras = self.extras.get(c.get("name", ""), {})
            out.append(
                {
                    "kind": "character",
                    "name": c.get("name", ""),
                    "role": c.get("role", ""),
                    "goal": c.get("goal", ""),
                    **{k: v for k, v in extras.items() if v},
                }
            )
        for loc in self.plan.get("world", {}).get("locations", []):
            extras = self.extras.get(loc.get("name", ""), {})
            entry = {"kind": "place", "name": loc.get("name", ""), "description": loc.get("description", "")}
            if extras.get("aliases"):
                entry["aliases"] = extras["aliases"]
            out.append(entry)
        out += [{"kind": "lore", **{k: v for k, v in e.items() if v}} for e in self.lore]
        return out

    def codex_context(self) -> dict[str, Any]:
        cast = [
            {"i": i, "c": c, **self.extras.get(c.get("name", ""), {})}
            for i, c in enumerate(self.plan.get("characters", []))
        ]
        places = [
            {"i": i, "loc": loc, **self.extras.get(loc.get("name", ""), {})}
            for i, loc in enumerate(self.plan.get("world", {}).get("locations", []))
        ]
        return {
            "cast_rows": cast,
            "place_rows": places,
            "lore_rows": list(enumerate(self.lore)),
            "genders": GENDER_LABELS,
        }
