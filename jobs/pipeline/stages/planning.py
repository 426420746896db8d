"""Stages 01–05: from brief to a segment plan sized to the target length.

Each stage asks the model (mini tier) for JSON against a schema, then
normalises the answer so later stages can trust it: act proportions sum to 1,
the pacing curve has one point per segment, segments only name cast members
and world locations, and segment sizes add up to the target exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .. import schema as schemas
from ..backends.offline.lang import lang_data
from ..brief import Brief
from ..engine import Engine
from ..plan import Act, Beat, Character, Interpretation, SegmentPlan, StructureDesign, WorldBible

SEGMENT_BATCH = 10  # segments planned per call: keeps each JSON answer small


def _system(brief: Brief) -> str:
    language = {"en": "English", "pl": "Polish"}[brief.language]
    return (
        "You are NarraForge, a meticulous story architect. Write every value in "
        f"{language}. Genre: {brief.genre}. Production: {brief.production_type.replace('_', ' ')} "
        f"of about {brief.target_words} words. Answer with JSON only."
    )


def _messages(brief: Brief, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": _system(brief)}, {"role": "user", "content": user}]


def segment_count(target_words: int, segment_words: int) -> int:
    return max(3, round(target_words / segment_words))


def segment_sizes(target_words: int, n: int) -> list[int]:
    base, extra = divmod(target_words, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def pacing_curve(structure: str, n: int) -> list[float]:
    """Tension 0..1 per segment: rising to a climax, then release.

    Kishōtenketsu has no conflict-driven rise; its peak is the twist (ten).
    """
    out = []
    for i in range(n):
        x = (i + 0.5) / n
        if structure == "kishotenketsu":
            t = 0.3 + 0.6 * max(0.0, 1 - abs(x - 0.65) / 0.15) if 0.5 <= x <= 0.8 else 0.3
        else:
            peak = 0.85 if structure != "five_act" else 0.55
            t = 0.15 + 0.85 * (x / peak) ** 1.3 if x <= peak else 1.0 - 0.6 * (x - peak) / (1 - peak)
        out.append(round(min(1.0, max(0.0, t)), 3))
    return out


def _resample(values: list[float], n: int) -> list[float]:
    if len(values) == n:
        return [round(float(v), 3) for v in values]
    out = []
    for i in range(n):
        pos = i * (len(values) - 1) / max(1, n - 1)
        lo = int(pos)
        hi = min(lo + 1, len(values) - 1)
        out.append(round(values[lo] + (values[hi] - values[lo]) * (pos - lo), 3))
    return out


def interpret_brief(engine: Engine, brief: Brief) -> Interpretation:
    user = (
        "Interpret this production brief. Give a working title (keep the writer's title if given), a "
        "one-sentence logline, a short premise, 2–4 themes, the tone and style notes.\n"
        f"Title: {brief.title or '(none)'}\nTone: {brief.tone}\nPOV: {brief.pov}; tense: {brief.tense}\n"
        f"Inspiration: {brief.inspiration}"
    )
    data = engine.json(
        "brief_interpretation",
        _messages(brief, user),
        schemas.INTERPRETATION,
        name="interpretation",
        max_tokens=900,
        payload={"brief": brief.to_dict()},
    )
    if brief.title:
        data["title"] = brief.title
    return Interpretation.from_dict(data)


def architect_world(engine: Engine, brief: Brief, interp: Interpretation) -> WorldBible:
    existing = (brief.world or {}).get("world")
    user = (
        "Design the world bible: name, 3–5 laws of reality, boundaries, locations (name and one-line "
        "description), the core conflict and the theme.\n"
        f"Logline: {interp.logline}\nThemes: {', '.join(interp.themes)}\n"
        f"Writer's world notes: {brief.world_notes or '(none)'}\n"
    )
    if existing:
        user += (
            "Continue this existing world: keep its name, laws, boundaries and locations; you may add "
            "new locations.\n" + json.dumps(existing, ensure_ascii=False)[:6000]
        )
    payload = {"brief": brief.to_dict(), "interpretation": asdict(interp)}
    data = engine.json(
        "world_architecture",
        _messages(brief, user),
        schemas.WORLD,
        name="world",
        max_tokens=1800,
        payload=payload,
    )
    if existing:  # canon wins even if the model drifted
        for key in ("name", "laws", "boundaries", "core_conflict", "theme"):
            if existing.get(key):
                data[key] = existing[key]
        old = [loc for loc in existing.get("locations", []) if isinstance(loc, dict) and loc.get("name")]
        data["locations"] = [
            {"name": loc["name"], "description": loc.get("description", "")} for loc in old
        ] + [loc for loc in data["locations"] if loc["name"] not in {o["name"] for o in old}]
    return WorldBible.from_dict(data)


def architect_characters(
    engine: Engine, brief: Brief, interp: Interpretation, world: WorldBible
) -> list[Character]:
    existing = (brief.world or {}).get("characters") or []
    user = (
        "Create the cast. For each character: name, gender (f, m or x), role, goal, arc, 2 contradictions "
        "and voice. The first character is the protagonist.\n"
        f"World: {world.name}. Conflict: {world.core_conflict}. Theme: {world.theme}.\n"
        f"Logline: {interp.logline}\n"
    )
    if existing:
        user += (
            "Keep these existing characters exactly (you may add new ones):\n"
            + json.dumps(existing, ensure_ascii=False)[:6000]
        )
    payload = {"brief": brief.to_dict(), "interpretation": asdict(interp), "world": asdict(world)}
    data = engine.json(
        "character_architecture",
        _messages(brief, user),
        schemas.CAST,
        name="cast",
        max_tokens=3000,
        payload=payload,
    )
    cast = [Character.from_dict(c) for c in data["characters"]]
    if existing:
        given = {c["name"] for c in existing}
        kept = {c.name: c for c in cast}
        fallback = _character_defaults(brief)
        # The writer's (codex) fields win where they say something; the rest comes from the model's
        # answer for that name, else from the language's stock traits, so the plan stays valid.
        ordered = [
            Character.from_dict(
                {
                    **(asdict(kept[c["name"]]) if c["name"] in kept else fallback),
                    **{k: v for k, v in c.items() if k in _CHARACTER_FIELDS and v},
                }
            )
            for c in existing
        ]
        cast = ordered + [c for c in cast if c.name not in given]
    seen: set[str] = set()
    return [c for c in cast if not (c.name in seen or seen.add(c.name))]


_CHARACTER_FIELDS = ("name", "gender", "role", "goal", "arc", "contradictions", "voice")


def _character_defaults(brief: Brief) -> dict[str, Any]:
    """Stock traits for a returning character whose canon leaves some out (the plan requires them all)."""
    lang = lang_data(brief.language)
    p = lang.patterns
    return {
        "gender": "x",
        "role": p["roles"][1 % len(p["roles"])],
        "goal": lang.genre(brief.genre)["goals"][0],
        "arc": p["arcs"][0],
        "contradictions": [p["contradictions"][0]],
        "voice": p["voices"][0],
    }


def design_structure(
    engine: Engine, brief: Brief, world: WorldBible, cast: list[Character], n_segments: int
) -> StructureDesign:
    skeleton = lang_data(brief.language).patterns["structures"][brief.structure]
    pacing = pacing_curve(brief.structure, n_segments)
    user = (
        f"Design the {brief.structure.replace('_', ' ')} structure: for each act its number, name, purpose, "
        "proportion of the story (they sum to 1) and key beats; plus a pacing curve of tension values 0..1 "
        f"with {n_segments} points, one per segment.\nActs to use: "
        + "; ".join(f"{a['name']} ({a['proportion']:.0%})" for a in skeleton)
        + f"\nConflict: {world.core_conflict}. Protagonist: {cast[0].name}, who wants {cast[0].goal}."
    )
    payload = {"brief": brief.to_dict(), "skeleton": skeleton, "pacing": pacing}
    data = engine.json(
        "structure_design",
        _messages(brief, user),
        schemas.STRUCTURE_ANSWER,
        name="structure",
        max_tokens=1500,
        payload=payload,
    )
    total = sum(a["proportion"] for a in data["acts"]) or 1.0  # proportions are relative weights
    acts = [
        Act(
            i,
            a["name"],
            a["purpose"],
            round(a["proportion"] / total if total else 1 / len(data["acts"]), 4),
            [Beat(b["name"], b["description"]) for b in a["beats"]],
        )
        for i, a in enumerate(data["acts"], start=1)
    ]
    return StructureDesign(brief.structure, acts, _resample(_tensions(data["pacing"], pacing), n_segments))


def _tensions(values: list[float], computed: list[float]) -> list[float]:
    """The model's pacing curve on the 0..1 scale, in percent if it wrote percent, else the engine's own."""
    if all(0 <= v <= 1 for v in values):
        return values
    if all(0 <= v <= 100 for v in values):
        return [v / 100 for v in values]
    return computed


def _act_for(position: float, acts: list[Act]) -> int:
    edge = 0.0
    for act in acts:
        edge += act.proportion
        if position < edge:
            return act.number
    return acts[-1].number


def _match(name: str, options: list[str]) -> str | None:
    low = name.strip().lower()
    for option in options:
        if option.lower() == low:
            return option
    for option in options:
        if low and (low in option.lower() or option.lower() in low):
            return option
    return None


def plan_segments(
    engine: Engine,
    brief: Brief,
    world: WorldBible,
    cast: list[Character],
    structure: StructureDesign,
    n_segments: int,
) -> list[SegmentPlan]:
    sizes = segment_sizes(brief.target_words, n_segments)
    slots = [
        {
            "index": i + 1,
            "act": _act_for((i + 0.5) / n_segments, structure.acts),
            "target_words": sizes[i],
            "tension": structure.pacing[i],
        }
        for i in range(n_segments)
    ]
    return _plan_slots(engine, brief, world, cast, slots, n_segments)


def _plan_slots(
    engine: Engine,
    brief: Brief,
    world: WorldBible,
    cast: list[Character],
    slots: list[dict[str, Any]],
    n_segments: int,
    *,
    before: list[SegmentPlan] | None = None,
    extra: str = "",
) -> list[SegmentPlan]:
    """Plan the given slots (index, act, target_words, tension) in batches of SEGMENT_BATCH."""
    names = [c.name for c in cast]
    places = [loc.name for loc in world.locations]
    out: list[SegmentPlan] = []
    for start in range(0, len(slots), SEGMENT_BATCH):
        batch = slots[start : start + SEGMENT_BATCH]
        schema = {
            **schemas.SEGMENTS,
            "properties": {
                "segments": {
                    **schemas.SEGMENTS["properties"]["segments"],
                    "minItems": len(batch),
                    "maxItems": len(batch),
                }
            },
        }
        recent = "; ".join(f"{s.index}. {s.title}" for s in [*(before or []), *out][-3:]) or "(none yet)"
        user = (
            f"Plan segments {batch[0]['index']}–{batch[-1]['index']} of {n_segments} (exactly {len(batch)}). "
            "For each: title, summary, 2–3 key events (each a short sentence starting with a character's "
            "name), characters on stage (cast names only) and one location (world locations only).\n"
            f"Cast: {', '.join(names)}\nLocations: {', '.join(places)}\nPrevious: {recent}\n"
            + "\n".join(
                f"- segment {s['index']}: act {s['act']}, tension {s['tension']}, "
                f"about {s['target_words']} words"
                for s in batch
            )
            + (f"\n{extra}" if extra else "")
        )
        payload = {
            "brief": brief.to_dict(),
            "world": asdict(world),
            "characters": [asdict(c) for c in cast],
            "slots": batch,
        }
        data = engine.json(
            "segment_planning",
            _messages(brief, user),
            schema,
            name="segments",
            max_tokens=250 * len(batch) + 300,
            payload=payload,
        )
        for slot, draft in zip(batch, data["segments"], strict=True):
            people = [m for m in (_match(n, names) for n in draft["characters"]) if m]
            people = list(dict.fromkeys(people)) or [names[0]]
            location = _match(draft["location"], places) or places[(slot["index"] - 1) % len(places)]
            # What the model left blank the engine fills from what it knows, so the plan stays usable.
            title = " ".join(draft["title"].split()) or f"Part {slot['index']}"
            events = [" ".join(e.split()) for e in draft["key_events"] if e.strip()]
            events = events or [f"{people[0]} faces what {location} holds"]
            summary = " ".join(draft["summary"].split()) or f"{title}: " + "; ".join(events)
            out.append(
                SegmentPlan(
                    slot["index"], slot["act"], title, summary, events, people, location, slot["target_words"]
                )
            )
    return out


def plan_more_segments(
    engine: Engine,
    brief: Brief,
    world: WorldBible,
    cast: list[Character],
    structure: StructureDesign,
    *,
    before: list[SegmentPlan],
    count: int,
    words: int,
    story_so_far: str,
    instructions: str = "",
) -> list[SegmentPlan]:
    """Plan ``count`` segments after ``before`` (continuing a written story), ``words`` each.

    The same call as stage 05, told where the story stands (what was actually written) and
    the writer's instructions; the new segments are in the last act and keep its tension.
    """
    last = before[-1] if before else None
    act = last.act if last else (structure.acts[-1].number if structure.acts else 1)
    tension = structure.pacing[-1] if structure.pacing else 0.5
    first = (last.index if last else 0) + 1
    slots = [
        {"index": first + i, "act": act, "target_words": words, "tension": tension} for i in range(count)
    ]
    extra = "The story so far (continue it; do not retell or end it unless asked):\n" + story_so_far
    if instructions:
        extra += "\nThe writer's instructions for what comes next: " + instructions[:1200]
    return _plan_slots(engine, brief, world, cast, slots, first + count - 1, before=before, extra=extra)


def n_segments_for(brief: Brief, segment_words: int) -> int:
    return segment_count(brief.target_words, segment_words)


__all__ = [
    "interpret_brief",
    "architect_world",
    "architect_characters",
    "design_structure",
    "plan_segments",
    "plan_more_segments",
    "segment_count",
    "segment_sizes",
    "pacing_curve",
    "n_segments_for",
]
