"""The embedded offline engine: a deterministic procedural writer.

It answers the same calls as a model would — JSON for the planning stages,
prose for drafting and stylization — from the structured ``Task.payload``,
seeded by the brief, so the same brief always gives the same narrative. It
costs nothing; token counts are estimated from the actual prompt and answer
text (~4 characters per token), i.e. what a model call would have used.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from typing import Any

from ...text import estimate_tokens
from ..base import Completion, Task
from .cast import build_cast
from .inspire import Motif, analyse, fill, read_notes, slots
from .lang import LangData, capitalise, lang_data, load_json
from .people import named_in_brief, split
from .prose import SegmentWriter
from .segments import plan_segments
from .setting import allowed, features
from .style import fix_flagged, stylise

LOCATION_COUNT = {"short_story": 4, "novella": 5, "novel": 7, "epic_saga": 9}


def _rng(brief: dict[str, Any], *salt: Any) -> random.Random:
    story = {k: v for k, v in brief.items() if k != "polish"}  # the pass chosen after drafting
    blob = json.dumps([story, *salt], sort_keys=True, ensure_ascii=False).encode()
    return random.Random(zlib.crc32(blob) * 2654435761 + len(blob))


class OfflineBackend:
    name = "offline"

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        tier: str,
        model: str,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int,
        task: Task | None = None,
    ) -> Completion:
        if task is None:
            raise ValueError("the offline engine needs a Task describing the call")
        handler = getattr(self, "_" + task.stage, None)
        if handler is None:
            raise ValueError(f"the offline engine has no handler for stage {task.stage!r}")
        result = handler(task.payload)
        text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        prompt = sum(estimate_tokens(m.get("content", "")) + 4 for m in messages)
        return Completion(text, prompt, estimate_tokens(text))

    # -- 01 ------------------------------------------------------------------
    def _brief_interpretation(self, payload: dict[str, Any]) -> dict[str, Any]:
        brief = payload["brief"]
        lang, genre = lang_data(brief["language"]), brief["genre"]
        g = lang.genre(genre)
        rng = _rng(brief, "01")
        themes = rng.sample(g["themes"], 2)
        inspiration = " ".join(brief["inspiration"].split())
        first = inspiration.split(". ")[0].rstrip(".")
        p = lang.patterns
        motif = analyse(brief["inspiration"], brief["language"])
        title = brief.get("title") or rng.choice(g["titles"])
        logline = first + "."
        premise = p["premise"].replace("{inspiration}", inspiration)
        if motif.has_motif:
            # The writer's idea drives the interpretation: title, logline, premise, first theme.
            d = load_json(f"{brief['language']}/inspiration.json")
            values = slots(motif)
            values["conflict"] = fill(rng.choice(d["conflicts"]), values)
            values["inspiration"] = (
                inspiration if inspiration.endswith((".", "!", "?")) else inspiration + "."
            )
            if not brief.get("title"):
                title = (
                    fill(rng.choice(d["titles"]), values)
                    if motif.role or "{Role}" not in d["titles"][0]
                    else title
                )
                title = capitalise(title)
            logline = capitalise(fill(d["logline"] if motif.verb else d["logline_noverb"], values))
            premise = fill(d["premise"], values)
            themes = [fill(rng.choice(d["themes"]), values), themes[0]]
        return {
            "title": title,
            "logline": logline,
            "premise": premise,
            "themes": themes,
            "tone": brief["tone"],
            "style_notes": p["style_notes"]
            .replace("{tone}", brief["tone"])
            .replace("{pov}", p["pov_names"].get(brief["pov"], brief["pov"]))
            .replace("{tense}", brief["tense"]),
        }

    # -- 02 ------------------------------------------------------------------
    def _world_architecture(self, payload: dict[str, Any]) -> dict[str, Any]:
        brief = payload["brief"]
        lang = lang_data(brief["language"])
        g = lang.genre(brief["genre"])
        rng = _rng(brief, "02")
        n_loc = LOCATION_COUNT[brief["production_type"]]
        motif = analyse(brief["inspiration"], brief["language"])
        notes = brief.get("world_notes", "").strip()
        note_laws = read_notes(notes)[0] if notes else []
        # The writer's places first: the inspiration's setting, then the places they named.
        own = self._own_locations(brief, motif)
        keep = allowed(lang.code, features(lang.code, brief["genre"], brief["inspiration"], notes))
        genre_locs = [
            {"name": n, "description": d}
            for n, d in rng.sample(g["locations"], min(n_loc, len(g["locations"])))
            if n not in {loc["name"] for loc in own} and keep(n + " " + d)
        ]
        locs = (own + genre_locs)[: max(n_loc, len(own) + 1)]
        laws = [x for x in g["laws"] if keep(x)] or g["laws"]  # no buses in 1946, no tides on a river
        boundaries = [x for x in g["boundaries"] if keep(x)] or g["boundaries"]
        conflict = rng.choice([x for x in g["conflicts"] if keep(x)] or g["conflicts"])
        if motif.has_motif:
            d = load_json(f"{brief['language']}/inspiration.json")
            conflict = fill(rng.choice(d["conflicts"]), slots(motif))
        world = {
            "name": rng.choice(g["world_names"]),
            "laws": rng.sample(laws, min(3, len(laws))),
            "boundaries": rng.sample(boundaries, min(2, len(boundaries))),
            "locations": locs,
            "core_conflict": conflict,
            "theme": payload["interpretation"]["themes"][0],
        }
        if note_laws:  # the writer's own world notes become laws of this world
            world["laws"] = note_laws[:4] + world["laws"][: max(1, 5 - len(note_laws[:4]))]
        existing = (brief.get("world") or {}).get("world")
        if existing:
            # Continue an existing world: its canon wins, we only fill gaps and
            # may add one new location.
            merged = {**world, **{k: v for k, v in existing.items() if k in world and v}}
            names = {loc["name"] for loc in merged["locations"]}
            extra = [loc for loc in locs if loc["name"] not in names][:1]
            merged["locations"] = list(merged["locations"]) + extra
            return merged
        return world

    @staticmethod
    def _own_locations(brief: dict[str, Any], motif: Motif) -> list[dict[str, str]]:
        language = brief["language"]
        out: list[dict[str, str]] = []
        neutral = load_json(f"{language}/inspiration.json")["neutral_place"]
        keep = allowed(
            language, features(language, brief["genre"], brief["inspiration"], brief.get("world_notes", ""))
        )
        if motif.setting:
            # The stock description only where it fits the world ("open sea" is wrong on a river).
            out.append(
                {
                    "name": motif.setting[0],
                    "description": motif.setting[1] if keep(motif.setting[1]) else neutral,
                }
            )
        elif motif.role:
            name, desc = load_json(f"{language}/inspiration.json")["fallback_location"]
            head = motif.role.split()[-1]
            values = {"{Head}": capitalise(head), "{head}": head, "{role_gen}": motif.role}
            for k, v in values.items():
                name, desc = name.replace(k, v), desc.replace(k, v)
            out.append({"name": name, "description": desc})
        text = " ".join((brief["inspiration"] + " " + brief.get("world_notes", "")).split())
        sentences = re.split(r"(?<=[.!?…])\s+", text)
        for place in split(named_in_brief(brief))[1][:4]:
            if place.name not in {loc["name"] for loc in out}:
                # Described in the writer's own words: the sentence that names it.
                where = next((s for s in sentences if any(f in s for f in place.forms)), "")
                out.append({"name": place.name, "description": where or neutral})
        return out

    # -- 03 ------------------------------------------------------------------
    def _character_architecture(self, payload: dict[str, Any]) -> dict[str, Any]:
        return build_cast(payload, _rng(payload["brief"], "03"))

    # -- 04 ------------------------------------------------------------------
    def _structure_design(self, payload: dict[str, Any]) -> dict[str, Any]:
        brief = payload["brief"]
        acts = []
        for number, act in enumerate(payload["skeleton"], start=1):
            acts.append(
                {
                    "number": number,
                    "name": act["name"],
                    "purpose": act["purpose"],
                    "proportion": act["proportion"],
                    "beats": [{"name": n, "description": d} for n, d in act["beats"]],
                }
            )
        return {"structure": brief["structure"], "acts": acts, "pacing": payload["pacing"]}

    # -- 05 ------------------------------------------------------------------
    def _segment_planning(self, payload: dict[str, Any]) -> dict[str, Any]:
        return plan_segments(payload)

    # -- 06 / 08 / 09 ----------------------------------------------------------
    def _sequential_generation(self, payload: dict[str, Any]) -> str:
        lang: LangData = lang_data(payload["brief"]["language"])
        seed = payload["seed"] + 7919 * payload["segment"]["index"]
        return SegmentWriter(lang, payload, seed).write()

    def _language_stylization(self, payload: dict[str, Any]) -> str:
        # Typography always; and the fixes the local checks asked for (polish.py), where text can make them.
        return stylise(fix_flagged(payload["text"], payload.get("flags") or []), payload["language"])

    def _editorial_review(self, payload: dict[str, Any]) -> dict[str, Any]:
        chapters = payload["chapters"]
        notes = []
        short = [c for c in chapters if c["words"] < 0.85 * c["planned"]]
        if short:
            notes.append(f"{len(short)} chapter(s) came in more than 15% under their planned length.")
        titles, seen = [], set()
        for i, c in enumerate(chapters, start=1):  # a writer's edited plan may repeat a title
            title = c["title"] if c["title"] not in seen else f"{c['title']} ({i})"
            seen.add(title)
            titles.append(title)
        return {"chapter_titles": titles, "notes": notes}
