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
import zlib
from typing import Any

from ...text import estimate_tokens
from ..base import Completion, Task
from .inspire import Motif, analyse, fill, read_notes, slots
from .lang import Deck, LangData, capitalise, lang_data, load_json
from .prose import SegmentWriter
from .style import stylise

CAST_SIZE = {"short_story": 4, "novella": 5, "novel": 6, "epic_saga": 8}
LOCATION_COUNT = {"short_story": 4, "novella": 5, "novel": 7, "epic_saga": 9}


def _rng(brief: dict[str, Any], *salt: Any) -> random.Random:
    blob = json.dumps([brief, *salt], sort_keys=True, ensure_ascii=False).encode()
    return random.Random(zlib.crc32(blob) * 2654435761 + len(blob))


def _keeps_stem(present: str, past: str) -> bool:
    """True when every past form starts with the present form's stem (as the quality check cuts it)."""
    first = present.split()[0] if present else ""
    stem = first[:5] if len(first) >= 6 else first[: max(3, len(first) - 1)]
    return bool(first) and all(form.startswith(stem) for form in past.split("~"))


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
        note_laws, note_places = read_notes(notes) if notes else ([], [])
        # The writer's places first: the inspiration's setting, then names from the world notes.
        own = self._own_locations(motif, note_laws, note_places, brief["language"])
        genre_locs = [
            {"name": n, "description": d}
            for n, d in rng.sample(g["locations"], min(n_loc, len(g["locations"])))
            if n not in {loc["name"] for loc in own}
        ]
        locs = (own + genre_locs)[: max(n_loc, len(own) + 1)]
        conflict = rng.choice(g["conflicts"])
        if motif.has_motif:
            d = load_json(f"{brief['language']}/inspiration.json")
            conflict = fill(rng.choice(d["conflicts"]), slots(motif))
        world = {
            "name": rng.choice(g["world_names"]),
            "laws": rng.sample(g["laws"], 3),
            "boundaries": rng.sample(g["boundaries"], 2),
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
    def _own_locations(
        motif: Motif, laws: list[str], places: list[str], language: str
    ) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        if motif.setting:
            out.append({"name": motif.setting[0], "description": motif.setting[1]})
        elif motif.role:
            name, desc = load_json(f"{language}/inspiration.json")["fallback_location"]
            head = motif.role.split()[-1]
            values = {"{Head}": capitalise(head), "{head}": head, "{role_gen}": motif.role}
            for k, v in values.items():
                name, desc = name.replace(k, v), desc.replace(k, v)
            out.append({"name": name, "description": desc})
        for place in places[:4]:
            if place not in {loc["name"] for loc in out}:
                where = next((law for law in laws if place in law), "")
                out.append({"name": place, "description": where})
        return out

    # -- 03 ------------------------------------------------------------------
    def _character_architecture(self, payload: dict[str, Any]) -> dict[str, Any]:
        brief = payload["brief"]
        lang = lang_data(brief["language"])
        p, g = lang.patterns, lang.genre(brief["genre"])
        rng = _rng(brief, "03")
        size = CAST_SIZE[brief["production_type"]]
        names = load_json("names.json")["invented"] if g["name_style"] == "invented" else p["names"]
        existing = [dict(c) for c in (brief.get("world") or {}).get("characters", [])]
        taken = {c["name"] for c in existing}
        decks = {k: Deck(p[k], rng) for k in ("arcs", "contradictions", "voices")}
        goals = Deck(g["goals"], rng)
        cast = []
        for c in existing:  # returning characters keep everything they had
            cast.append(self._fill_character(c, p, decks, goals, rng, len(cast)))
        pools = {k: [n for n in v if n not in taken] for k, v in names.items()}
        for k in pools:
            rng.shuffle(pools[k])
        motif = analyse(brief["inspiration"], brief["language"])
        while len(cast) < max(size, len(existing) + 1):
            gender = "f" if (len(cast) + rng.randint(0, 1)) % 2 == 0 else "m"
            if not cast and motif.gender:
                gender = motif.gender  # "the maps she draws", "kartografka"
            if not pools[gender]:
                gender = "m" if gender == "f" else "f"
            seed: dict[str, Any] = {"name": pools[gender].pop(), "gender": gender}
            if not cast and motif.has_motif:
                # The protagonist is the inspiration's "who": role and goal come from it.
                d = load_json(f"{brief['language']}/inspiration.json")
                if motif.role:
                    seed["role"] = f"{motif.role} ({p['roles'][0]})"
                seed["goal"] = fill(rng.choice(d["goals"]), slots(motif, gender=gender))
            cast.append(self._fill_character(seed, p, decks, goals, rng, len(cast)))
        return {"characters": cast}

    @staticmethod
    def _fill_character(
        c: dict[str, Any], p: dict[str, Any], decks: dict[str, Deck], goals: Deck, rng: random.Random, i: int
    ) -> dict[str, Any]:
        roles = p["roles"]
        return {
            "name": c["name"],
            "gender": c.get("gender") if c.get("gender") in ("f", "m", "x") else "x",
            "role": c.get("role") or roles[i % len(roles)],
            "goal": c.get("goal") or goals.draw(),
            "arc": c.get("arc") or decks["arcs"].draw(),
            "contradictions": c.get("contradictions")
            or [decks["contradictions"].draw(), decks["contradictions"].draw()],
            "voice": c.get("voice") or decks["voices"].draw(),
        }

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
        brief = payload["brief"]
        lang = lang_data(brief["language"])
        p, g = lang.patterns, lang.genre(brief["genre"])
        rng = _rng(brief, "05", payload["slots"][0]["index"])
        cast = [c["name"] for c in payload["characters"]]
        places = [loc["name"] for loc in payload["world"]["locations"]]
        titles, objects = Deck(g["titles"], rng), Deck(g["objects"], rng)
        verbs, place_deck = Deck(p["verbs"], rng), Deck(places, rng)
        motif = analyse(brief["inspiration"], brief["language"])
        own_objects = [motif.motif] if motif.motif else []
        if motif.head and motif.head != motif.motif:
            own_objects.append(motif.head)
        if brief["language"] == "en":  # Polish secondary phrases may be in any case
            own_objects += [("the " + o) for o in motif.objects[:2]]
        own_deck = Deck(own_objects or [""], rng)
        # Verbs whose past form keeps the present's stem, so the event stays recognisable
        # (and measurable) when it is told in the past tense: "finds" → "found" would not.
        safe_verbs = Deck([v for v in p["verbs"] if _keeps_stem(v["present"], v["past"])] or p["verbs"], rng)
        own_places = [motif.setting[0]] if motif.setting else []
        own_places += read_notes(brief.get("world_notes", ""))[1]
        own_places = [name for name in dict.fromkeys(own_places) if name in places]
        others = Deck(cast[1:] or cast, rng)
        segments = []
        for slot in payload["slots"]:
            i = slot["index"]
            # The protagonist carries most segments; the others rotate through.
            lead = cast[0] if i % 3 != 0 else others.draw()
            people = [lead] + [n for n in (others.draw() for _ in range(rng.randint(1, 2))) if n != lead]
            people = list(dict.fromkeys(people))
            n_events = 2 if slot["target_words"] < 1800 else 3
            events = []
            for k in range(n_events):
                actor = people[k % len(people)]
                if k == 0 and own_objects:
                    # Every segment turns on the writer's central elements at least once; the
                    # story opens with the inspiration's own verb ("collects storms in jars").
                    own_verb = bool(motif.verb) and _keeps_stem(motif.verb, motif.verb_past)
                    use_own = own_verb and (i == 1 or rng.random() < 0.3)
                    verb = motif.verb if use_own else safe_verbs.draw()["present"]
                    obj = motif.motif if verb == motif.verb else own_deck.draw()
                    events.append(f"{actor} {verb} {obj}")
                else:
                    events.append(f"{actor} {verbs.draw()['present']} {objects.draw()}")
            location = place_deck.draw()
            if i - 1 < len(own_places):
                # The story opens where the inspiration is set, then visits the writer's own places.
                location = own_places[i - 1]
            title = titles.draw()
            summary = (
                p["summary"]
                .replace("{A}", lead)
                .replace("{L}", location)
                .replace("{events}", "; ".join(events))
            )
            segments.append(
                {
                    "title": title,
                    "summary": summary,
                    "key_events": events,
                    "characters": people,
                    "location": location,
                }
            )
        return {"segments": segments}

    # -- 06 / 08 / 09 ----------------------------------------------------------
    def _sequential_generation(self, payload: dict[str, Any]) -> str:
        lang: LangData = lang_data(payload["brief"]["language"])
        seed = payload["seed"] + 7919 * payload["segment"]["index"]
        return SegmentWriter(lang, payload, seed).write()

    def _language_stylization(self, payload: dict[str, Any]) -> str:
        return stylise(payload["text"], payload["language"])

    def _editorial_review(self, payload: dict[str, Any]) -> dict[str, Any]:
        chapters = payload["chapters"]
        notes = []
        short = [c for c in chapters if c["words"] < 0.85 * c["planned"]]
        if short:
            notes.append(f"{len(short)} chapter(s) came in more than 15% under their planned length.")
        return {"chapter_titles": [c["title"] for c in chapters], "notes": notes}
