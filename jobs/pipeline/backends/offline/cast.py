"""Stage 03 offline: the cast — the writer's named people first, then invented ones.

The people named in the inspiration and world notes (``people``) come first,
the protagonist at their head, with the gender their language shows and the
role the text gives them ("the keeper is called Mira Vell" → lighthouse
keeper). The rest of the cast is drawn from the name lists, so a brief that
names nobody still gets a full cast.
"""

from __future__ import annotations

import random
from typing import Any

from .inspire import analyse, fill, slots
from .lang import Deck, lang_data, load_json
from .people import named_in_brief, split

CAST_SIZE = {"short_story": 4, "novella": 5, "novel": 6, "epic_saga": 8}


def build_cast(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    brief = payload["brief"]
    lang = lang_data(brief["language"])
    p, g = lang.patterns, lang.genre(brief["genre"])
    size = CAST_SIZE[brief["production_type"]]
    names = load_json("names.json")["invented"] if g["name_style"] == "invented" else p["names"]
    existing = [dict(c) for c in (brief.get("world") or {}).get("characters", [])]
    decks = {k: Deck(p[k], rng) for k in ("arcs", "contradictions", "voices")}
    goals = Deck(g["goals"], rng)
    motif = analyse(brief["inspiration"], brief["language"])
    d = load_json(f"{brief['language']}/inspiration.json")
    protagonist_role = p["roles"][0]
    cast = [_fill(c, p, decks, goals, k) for k, c in enumerate(existing)]  # returning characters keep all
    taken = {c["name"] for c in cast}
    people, _places = split(named_in_brief(brief))
    for person in people:
        if person.name in taken:
            continue
        gender = person.gender or (motif.gender if not cast else "")
        seed: dict[str, Any] = {"name": person.name, "gender": gender or "x"}
        role = person.role or (motif.role if not cast else "")
        if not cast:  # the protagonist: the inspiration's "who", role and goal
            seed["role"] = f"{role} ({protagonist_role})" if role else protagonist_role
            if motif.has_motif:
                seed["goal"] = fill(rng.choice(d["goals"]), slots(motif, gender=seed["gender"]))
        elif role:
            seed["role"] = role
        cast.append(_fill(seed, p, decks, goals, len(cast)))
        taken.add(person.name)
    pools = {k: [n for n in v if n not in taken] for k, v in names.items()}
    for k in pools:
        rng.shuffle(pools[k])
    while len(cast) < max(size, len(existing) + 1):
        gender = "f" if (len(cast) + rng.randint(0, 1)) % 2 == 0 else "m"
        if not cast and motif.gender:
            gender = motif.gender  # "the maps she draws", "kartografka"
        if not pools[gender]:
            gender = "m" if gender == "f" else "f"
        seed = {"name": pools[gender].pop(), "gender": gender}
        if not cast and motif.has_motif:
            if motif.role:
                seed["role"] = f"{motif.role} ({protagonist_role})"
            seed["goal"] = fill(rng.choice(d["goals"]), slots(motif, gender=gender))
        cast.append(_fill(seed, p, decks, goals, len(cast)))
    return {"characters": cast}


def _fill(
    c: dict[str, Any], p: dict[str, Any], decks: dict[str, Deck], goals: Deck, i: int
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
