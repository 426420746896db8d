"""Stage 05 offline: the segment plan — titles, people on stage, place, key events.

Segments are planned in batches (the planner asks for ten at a time), yet a
saga's 200 chapter titles must all differ and its events must not recur, so
both come from narrative-wide orders (``decks``) indexed by the segment's
number: chapter *i* gets title *i* of one seeded list of the genre's titles
followed by composed ones ("The Stopped Clock", "After the Brass Key",
"Morning at Ketha"); its events are its own slice of verb × object.
"""

from __future__ import annotations

import json
import random
import zlib
from typing import Any

from .decks import ProductDeck
from .inspire import Motif, analyse
from .lang import Deck, capitalise, lang_data, load_json
from .people import named_in_brief, split
from .setting import allowed, features


def _rng(brief: dict[str, Any], *salt: Any) -> random.Random:
    story = {k: v for k, v in brief.items() if k != "polish"}  # the pass chosen after drafting
    blob = json.dumps([story, *salt], sort_keys=True, ensure_ascii=False).encode()
    return random.Random(zlib.crc32(blob) * 2654435761 + len(blob))


def _keeps_stem(present: str, past: str) -> bool:
    """True when every past form starts with the present form's stem (as the quality check cuts it)."""
    first = present.split()[0] if present else ""
    stem = first[:5] if len(first) >= 6 else first[: max(3, len(first) - 1)]
    return bool(first) and all(form.startswith(stem) for form in past.split("~"))


def _bare(phrase: str) -> str:
    for article in ("the ", "a ", "an "):
        if phrase.startswith(article):
            return phrase[len(article) :]
    return phrase


def chapter_titles(brief: dict[str, Any], places: list[str], hero: str) -> list[str]:
    """Distinct titles in a seeded order: the genre's own first, then composed ones."""
    code = brief["language"]
    g = lang_data(code).genre(brief["genre"])
    d = load_json(f"{code}/titles.json")
    keep = allowed(
        code, features(code, brief["genre"], brief.get("inspiration", ""), brief.get("world_notes", ""))
    )
    nouns = [
        n for n in dict.fromkeys(list(g["objects"]) + load_json(f"{code}/prose.json")["things"]) if keep(n)
    ]
    rng = _rng(brief, "titles")
    own = [t for t in g["titles"] if keep(t)]
    rng.shuffle(own)
    composed = []
    for frame in d["frames"]:
        if "{A}" in frame and not hero:
            continue
        for noun in nouns:
            n = _bare(noun)
            value = " ".join(capitalise(w) if len(w) > 3 else w for w in n.split()) if code == "en" else n
            composed.append(frame.replace("{N}", value).replace("{n}", value).replace("{A}", hero))
    for frame in d["place_frames"]:
        composed += [frame.replace("{L}", p) for p in places]
    rng.shuffle(composed)
    out = [capitalise(t) for t in dict.fromkeys(own + composed)]
    return [t for t in out if "{" not in t]


def plan_segments(payload: dict[str, Any]) -> dict[str, Any]:
    brief = payload["brief"]
    lang = lang_data(brief["language"])
    p, g = lang.patterns, lang.genre(brief["genre"])
    slots_ = payload["slots"]
    rng = _rng(brief, "05", slots_[0]["index"])
    cast = [c["name"] for c in payload["characters"]]
    places = [loc["name"] for loc in payload["world"]["locations"]]
    motif: Motif = analyse(brief["inspiration"], brief["language"])
    keep = allowed(
        lang.code, features(lang.code, brief["genre"], brief["inspiration"], brief.get("world_notes", ""))
    )
    objects = [o for o in g["objects"] if keep(o)] or g["objects"]
    things = [t for t in load_json(f"{lang.code}/prose.json")["things"] if keep(t)]
    own_objects = [motif.motif] if motif.motif else []
    if motif.head and motif.head != motif.motif:
        own_objects.append(motif.head)
    if brief["language"] == "en":  # Polish secondary phrases may be in any case
        own_objects += [("the " + o) for o in motif.objects[:2]]
    # Verbs whose past form keeps the present's stem, so the event stays recognisable
    # (and measurable) when it is told in the past tense: "finds" → "found" would not.
    safe = [v["present"] for v in p["verbs"] if _keeps_stem(v["present"], v["past"])] or [
        p["verbs"][0]["present"]
    ]
    own_places = [motif.setting[0]] if motif.setting else []
    own_places += [n.name for n in split(named_in_brief(brief))[1]]
    own_places = [name for name in dict.fromkeys(own_places) if name in places]
    titles = chapter_titles(brief, places, cast[0] if cast else "")
    narrated = brief.get("pov") in ("first", "second")
    total = max(1, round(int(brief.get("target_words") or 0) / max(1, slots_[0]["target_words"])))
    seed = int(_rng(brief, "events").random() * 2**31)
    others = Deck(cast[1:] or cast, rng)
    place_deck = Deck(places, rng)
    segments = []
    for slot in slots_:
        i = slot["index"]
        # The protagonist carries most segments (all of them when telling the story as "I" or "you").
        lead = cast[0] if narrated or i % 3 != 0 else others.draw()
        people = [lead] + [n for n in (others.draw() for _ in range(rng.randint(1, 2))) if n != lead]
        if narrated and cast[0] not in people:
            people.insert(0, cast[0])
        people = list(dict.fromkeys(people))
        n_events = 2 if slot["target_words"] < 1800 else 3
        events = []
        for k in range(n_events):
            actor = people[k % len(people)]
            deck = ProductDeck(
                [
                    safe,
                    own_objects if k == 0 and own_objects else objects + things,
                ],
                key=f"event{k}",
                seed=seed,
                index=i,
                segments=total,
            )
            pick = deck.draw() or [safe[0], (own_objects or objects)[0]]
            if k == 0 and i == 1 and motif.verb and _keeps_stem(motif.verb, motif.verb_past):
                pick = [motif.verb, motif.motif]  # the story opens with the inspiration's own verb
            events.append(f"{actor} {pick[0]} {pick[1]}")
        location = own_places[i - 1] if i - 1 < len(own_places) else place_deck.draw()
        summary = (
            p["summary"].replace("{A}", lead).replace("{L}", location).replace("{events}", "; ".join(events))
        )
        segments.append(
            {
                "title": titles[(i - 1) % len(titles)]
                if i <= len(titles)
                else f"{titles[(i - 1) % len(titles)]} ({i})",
                "summary": summary,
                "key_events": events,
                "characters": people,
                "location": location,
            }
        )
    return {"segments": segments}
