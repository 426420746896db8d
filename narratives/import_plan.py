"""The plan and metadata of an imported manuscript, so it works like a generated narrative.

Regenerating a chapter, continuing or revising reads the narrative's plan
(``jobs.pipeline.plan.Plan``: world, cast, structure, one segment per
chapter) and brief. An import has none, so one is made from the text: one
segment per chapter (its opening sentences as summary and events, the cast
members it mentions), a cast of the names the text keeps using (or the
project's world and cast when it has one), and a world that says honestly it
comes from the manuscript. ``Plan.from_dict`` accepts the result.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from jobs.pipeline import Brief
from jobs.pipeline.plan import Plan
from jobs.pipeline.text import count_words, sentences

ENGINE = "imported"
ENGINE_LABEL = "Imported manuscript"
AS_WRITTEN = "As the imported manuscript establishes it."

# Capitalised words that are not names, in English and Polish (sentence starts are skipped anyway).
_NOT_NAMES_TEXT = """
    I The A An And But Or If When Then There Here She He It They We You His Her Their Our My Your
    This That These Those What Who Why How Where Yes No Not Mr Mrs Ms Dr Sir Lady Lord Chapter Part
    Book God Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December English Polish OK Okay Ja Ty On Ona Ono
    My Wy Oni One To Ten Ta Te Tak Nie Ale Albo Gdy Kiedy Potem Tam Tu Co Kto Dlaczego Jak Gdzie Pan
    Pani Rozdział Bóg Poniedziałek Wtorek Środa Czwartek Piątek Sobota Niedziela
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_NAME = re.compile(r"(?<![\w'’])([A-ZĄĆĘŁŃÓŚŹŻ][a-ząćęłńóśźż]+(?:[-'’][A-ZĄĆĘŁŃÓŚŹŻ]?[a-ząćęłńóśźż]+)?)")
_POLISH_LETTERS = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
MAX_CAST = 8


def guess_language(text: str) -> str:
    """Polish when its letters are common enough in the text, else English (the two the engine writes)."""
    sample = text[:100_000]
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    polish = sum(1 for ch in sample if ch in _POLISH_LETTERS)
    return "pl" if polish / letters > 0.004 else "en"


def production_type_for(words: int) -> str:
    if words <= 10_000:
        return "short_story"
    if words <= 40_000:
        return "novella"
    if words <= 120_000:
        return "novel"
    return "epic_saga"


def names_in(text: str) -> list[str]:
    """Names the text keeps using: capitalised words seen 3+ times, mostly not starting a sentence."""
    inside: Counter[str] = Counter()
    starting: Counter[str] = Counter()
    for sentence in sentences(text[:400_000]):
        for i, match in enumerate(_NAME.finditer(sentence)):
            word = match.group(1)
            if word in _NOT_NAMES:
                continue
            if i == 0 and match.start() < 3:
                starting[word] += 1
            else:
                inside[word] += 1
    # Seen mid-sentence at least once (so not just a capitalised opener) and 3+ times in all.
    totals = Counter({w: n + starting[w] for w, n in inside.items()})
    ranked = [w for w, n in totals.most_common() if n >= 3]
    return ranked[:MAX_CAST]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _cast(names: list[str]) -> list[dict[str, Any]]:
    if not names:
        names = ["The narrator"]
    return [
        {
            "name": name,
            "gender": "x",
            "role": "protagonist" if i == 0 else "supporting",
            "goal": AS_WRITTEN,
            "arc": AS_WRITTEN,
            "contradictions": ["Not described yet: add them in the codex."],
            "voice": "As written in the manuscript.",
        }
        for i, name in enumerate(names)
    ]


def _world(title: str) -> dict[str, Any]:
    return {
        "name": title or "The manuscript's world",
        "laws": [AS_WRITTEN],
        "boundaries": [AS_WRITTEN],
        "locations": [
            {"name": "Where the story is set", "description": AS_WRITTEN},
            {"name": "Elsewhere", "description": "Places the manuscript names beyond its main setting."},
        ],
        "core_conflict": AS_WRITTEN,
        "theme": AS_WRITTEN,
    }


def _valid_world(world: dict[str, Any] | None) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The project's world bible and cast, when they make a valid plan."""
    if not world:
        return None
    bible, cast = world.get("world") or {}, world.get("characters") or []
    probe = _plan_dict(
        title="probe", chapters=[("One", "Probe text.")], bible=bible, cast=cast, tone="neutral"
    )
    try:
        Plan.from_dict(probe)
    except Exception:  # the project's canon is older or hand-edited: fall back to the manuscript's own
        return None
    return bible, cast


def _plan_dict(
    *,
    title: str,
    chapters: list[tuple[str, str]],
    bible: dict[str, Any],
    cast: list[dict[str, Any]],
    tone: str,
) -> dict[str, Any]:
    names = [c["name"] for c in cast]
    places = [loc["name"] for loc in bible["locations"]]
    opening = sentences(chapters[0][1]) if chapters else []
    segments = []
    for i, (chapter_title, body) in enumerate(chapters, start=1):
        said = sentences(body) or [chapter_title or f"Chapter {i}"]
        mentioned = [n for n in names if re.search(rf"(?<!\w){re.escape(n.split()[0])}", body)]
        segments.append(
            {
                "index": i,
                "act": 1,
                "title": chapter_title or f"Chapter {i}",
                "summary": _clip(" ".join(said[:2]), 400),
                "key_events": [_clip(s, 200) for s in said[:3]],
                "characters": mentioned or names[:1],
                "location": places[0],
                "target_words": max(50, count_words(body)),
            }
        )
    return {
        "version": 1,
        "interpretation": {
            "title": title or "Imported manuscript",
            "logline": _clip(opening[0], 300) if opening else AS_WRITTEN,
            "premise": _clip(" ".join(opening[:3]), 600) if opening else AS_WRITTEN,
            "themes": [AS_WRITTEN],
            "tone": tone,
            "style_notes": "Match the voice, tense and person of the imported manuscript.",
        },
        "world": bible,
        "characters": cast,
        "structure": {
            "structure": "as_written",
            "acts": [
                {
                    "number": 1,
                    "name": "The manuscript",
                    "purpose": "The story as the writer wrote it.",
                    "proportion": 1.0,
                    "beats": [{"name": "As written", "description": AS_WRITTEN}],
                }
            ],
            "pacing": [0.4, 0.7],
        },
        "segments": segments,
    }


def imported_metadata(
    *,
    title: str,
    chapters: list[tuple[str, str]],
    genre: str,
    filename: str,
    kind: str,
    project_world: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Metadata of an imported narrative: engine "imported", a valid plan and brief, chapters, source."""
    text = "\n\n".join(body for _, body in chapters)
    language = guess_language(text)
    canon = _valid_world(project_world)
    if canon is not None:
        bible, cast = canon
    else:
        bible, cast = _world(title), _cast(names_in(text))
    plan = _plan_dict(title=title, chapters=chapters, bible=bible, cast=cast, tone="neutral")
    Plan.from_dict(plan)  # the contract regenerate / continue / revise rely on
    words = sum(count_words(body) for _, body in chapters)
    ptype = production_type_for(words)
    low, high = Brief.type_range(ptype)
    brief = Brief.from_dict(
        {
            "production_type": ptype,
            "genre": genre,
            "title": title[:200],
            "inspiration": _clip(plan["interpretation"]["premise"], 1000),
            "language": language,
            "target_words": min(max(words, low), high),
        }
    ).to_dict()
    brief.pop("world", None)
    return {
        "engine": ENGINE,
        "engine_label": ENGINE_LABEL,
        "title": title,
        "language": language,
        "world": plan["world"],
        "characters": plan["characters"],
        "structure": plan["structure"],
        "segments": [
            {
                **{k: s[k] for k in ("index", "title", "act", "location", "characters", "key_events")},
                "planned_words": s["target_words"],
                "actual_words": s["target_words"],
            }
            for s in plan["segments"]
        ],
        "chapters": [
            {"index": i, "title": t, "word_count": count_words(b)}
            for i, (t, b) in enumerate(chapters, start=1)
        ],
        "plan": plan,
        "brief": brief,
        "import": {"filename": filename, "format": kind, "world": "project" if canon else "manuscript"},
        "revision": {
            "kind": "import",
            "chapters": [],
            "note": f"Imported from {filename}",
            "instructions": "",
            "engine": ENGINE,
        },
    }
