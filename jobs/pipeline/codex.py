"""The codex entries a drafting prompt carries: the ones relevant to the segment, within a budget.

The writer's codex (characters, places, lore: ``projects.CodexEntry``) reaches
the engine as the brief's ``world["codex"]`` — a list of
``{"kind", "name", "aliases", "role", "description", "goal", "relationships"}``.
A brief without one (an older job, a JSON brief) gets its entries from the
world's ``characters`` and ``world.locations``. The plan is the job's latest
word on names, roles and goals (plan review may have changed them), so it is
laid over the codex: a planned character the codex does not know is an entry
too.

An entry is relevant to a segment

1. *by plan*: it is on stage (``seg.characters``) or the segment's location;
2. *by mention*: its name or an alias occurs in the segment's plan (title,
   summary, key events) or in the tail of the previous segment — whole words,
   possessives, and for Polish the inflected forms (a stem match: "Mirze",
   "Mirą" for "Mira");
3. lore that nothing mentions comes last, while the budget lasts: it is the
   world's standing rules.

What is scanned is bounded (one segment's plan, the previous tail) and the
section has its own token budget, so segment 300 costs what segment 3 does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .plan import Plan, SegmentPlan
from .text import tail_words, truncate_to_tokens

CODEX_TOKENS = 180  # the prompt's codex section
ENTRY_CHARS = 420  # one entry's line at most
TAIL_SCAN_WORDS = 250  # how much of the previous segment is read for mentions
KINDS = ("character", "place", "lore")


@dataclass(frozen=True)
class CodexEntry:
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    role: str = ""
    description: str = ""
    goal: str = ""
    relationships: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "aliases": list(self.aliases),
            "role": self.role,
            "description": self.description,
            "goal": self.goal,
            "relationships": self.relationships,
        }


def _entry(data: Any, kind: str | None = None) -> CodexEntry | None:
    if not isinstance(data, dict):
        return None
    name = " ".join(str(data.get("name") or "").split())
    kind = kind or str(data.get("kind") or "")
    if not name or kind not in KINDS:
        return None
    aliases = data.get("aliases") or []
    aliases = tuple(str(a).strip() for a in aliases if isinstance(a, str) and a.strip())
    text = {k: " ".join(str(data.get(k) or "").split()) for k in ("role", "description", "goal")}
    return CodexEntry(kind, name, aliases, relationships=str(data.get("relationships") or "").strip(), **text)


def codex_entries(world: dict[str, Any] | None, plan: Plan) -> list[CodexEntry]:
    """The job's codex: the brief's world["codex"] (else its cast and places), overlaid with the plan."""
    world = world if isinstance(world, dict) else {}
    raw = world.get("codex")
    if isinstance(raw, list):
        entries = [e for e in (_entry(d) for d in raw) if e]
    else:
        entries = [e for e in (_entry(c, "character") for c in world.get("characters") or []) if e]
        bible = world.get("world") if isinstance(world.get("world"), dict) else {}
        entries += [e for e in (_entry(loc, "place") for loc in bible.get("locations") or []) if e]
    by_label = {label.casefold(): i for i, e in enumerate(entries) for label in e.names}
    for c in plan.characters:
        i = by_label.get(c.name.casefold())
        if i is None:
            by_label[c.name.casefold()] = len(entries)
            entries.append(CodexEntry("character", c.name, role=c.role, goal=c.goal))
        else:  # the plan's role and goal are the newest (plan review may have edited them)
            entries[i] = replace(entries[i], role=c.role or entries[i].role, goal=c.goal or entries[i].goal)
    for loc in plan.world.locations:  # its description is the prompt's "Location:" line already
        if loc.name.casefold() not in by_label:
            by_label[loc.name.casefold()] = len(entries)
            entries.append(CodexEntry("place", loc.name))
    return entries


@lru_cache(maxsize=2048)
def _pattern(label: str, language: str) -> re.Pattern[str]:
    """A whole-word match of ``label``, its possessive, and (Polish) its inflected forms."""
    words = label.split()
    if language == "pl" and len(words[-1]) >= 4 and words[-1][-1].lower() in "aeiouyąę":
        # Mira → Mir(a|y|ze|ą|o…): the stem plus a short ending; also for the last word of a full name.
        head = r"\s+".join(re.escape(w) for w in words[:-1])
        stem = re.escape(words[-1][:-1])
        body = (head + r"\s+" if head else "") + stem + r"\w{0,3}"
    elif language == "pl" and len(words[-1]) >= 4:
        head = r"\s+".join(re.escape(w) for w in words[:-1])
        body = (head + r"\s+" if head else "") + re.escape(words[-1]) + r"\w{0,3}"
    else:
        body = r"\s+".join(re.escape(w) for w in words) + r"(?:['’]s?)?"
    flags = 0 if label[:1].isupper() else re.IGNORECASE  # "the keeper" is found as "The keeper" too
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


def mentions(entry: CodexEntry, text: str, language: str = "en") -> bool:
    """Whether ``text`` names ``entry`` (by its name or an alias)."""
    return any(_pattern(label, language).search(text) for label in entry.names if label)


def relevant(
    entries: list[CodexEntry], seg: SegmentPlan, previous_text: str, language: str = "en"
) -> list[CodexEntry]:
    """The entries segment ``seg`` needs, most needed first (see the module's docstring)."""
    return [entry for _, entry in ranked(entries, seg, previous_text, language)]


WHY = ("plan", "mention", "previous", "lore")  # why an entry is relevant, by rank


def ranked(
    entries: list[CodexEntry], seg: SegmentPlan, previous_text: str, language: str = "en"
) -> list[tuple[int, CodexEntry]]:
    """(rank, entry) of the relevant entries, most needed first; the rank indexes ``WHY``."""
    planned = [*seg.characters, seg.location]
    plan_text = "\n".join([seg.title, seg.summary, *seg.key_events])
    tail = tail_words(previous_text or "", TAIL_SCAN_WORDS)
    found: list[tuple[int, int, CodexEntry]] = []
    for i, entry in enumerate(entries):
        folded = {label.casefold() for label in entry.names}
        on_plan = next((k for k, name in enumerate(planned) if name.casefold() in folded), None)
        if on_plan is not None:
            found.append((0, on_plan, entry))
        elif mentions(entry, plan_text, language):
            found.append((1, i, entry))
        elif tail and mentions(entry, tail, language):
            found.append((2, i, entry))
        elif entry.kind == "lore":
            found.append((3, i, entry))
    return [(rank, e) for rank, _, e in sorted(found, key=lambda t: (t[0], t[1]))]


def _line(entry: CodexEntry) -> str | None:
    """One entry as the prompt gives it; None when it says nothing the story bible does not."""
    extra = [entry.description, entry.relationships.replace("\n", "; ")]
    if not entry.aliases and not any(extra):
        return None  # a bare name (and role/goal, already in the bible's cast line) adds nothing
    head = entry.name + (f" (also {', '.join(entry.aliases)})" if entry.aliases else "")
    kind = {"character": entry.role or "character", "place": "place", "lore": "lore"}[entry.kind]
    parts = [f"- {head} — {kind}."]
    if entry.description:
        parts.append(entry.description.rstrip(".") + ".")
    if entry.kind == "character" and entry.goal:
        parts.append(f"Wants {entry.goal.rstrip('.')}.")
    if entry.relationships:
        parts.append("Relationships: " + extra[1].rstrip(".") + ".")
    line = " ".join(parts)
    return line if len(line) <= ENTRY_CHARS else line[: ENTRY_CHARS - 1].rstrip() + "…"


def codex_section(
    entries: list[CodexEntry],
    seg: SegmentPlan,
    previous_text: str,
    budget_tokens: int = CODEX_TOKENS,
    *,
    language: str = "en",
) -> str:
    """The prompt's CODEX part for ``seg`` ("" when no relevant entry adds anything)."""
    lines: list[str] = []
    used = 0
    for entry in relevant(entries, seg, previous_text, language):
        line = _line(entry)
        if line is None:
            continue
        cost = len(line) // 4 + 1
        if used + cost > budget_tokens and lines:
            break
        lines.append(line)
        used += cost
    return truncate_to_tokens("\n".join(lines), budget_tokens) if lines else ""


def codex_payload(
    entries: list[CodexEntry], plan: Plan, index: int, previous_text: str, language: str = "en"
) -> list[dict[str, Any]]:
    """The relevant entries for a local writer (the offline engine), each marked ``first`` where the
    plan puts that character on stage for the first time (where the prose introduces them)."""
    seg = plan.segments[index]
    seen_before = {n for s in plan.segments[:index] for n in s.characters}
    out = []
    for rank, entry in ranked(entries, seg, previous_text, language)[:8]:
        data = {**entry.to_dict(), "why": WHY[rank]}
        on_stage = entry.kind == "character" and entry.name in seg.characters
        data["first"] = on_stage and entry.name not in seen_before
        out.append(data)
    return out
