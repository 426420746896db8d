"""Point of view in narration: the protagonist as "I" or "you".

Templates are written in the third person with ``{A}``/``{B}`` for the two
people and ``<past|present>`` markers for verbs; Polish past verbs carry
``[masculine~feminine]`` (``[B:…~…]`` for the second person). ``adapt``
rewrites a template before it is rendered, so inserted dialogue keeps its own
voice:

* English: ``{A}`` in subject position becomes "I"/"you" and the verb right
  after it (and verbs joined to it by "and", "then", "but") agree — "stands" →
  "stand", "was" → "were" for "you"; elsewhere ``{A}`` becomes "me"/"you",
  ``{A}'s`` "my"/"your".
* Polish: the verbs agreeing with the person (the ones with a gender marker)
  take the first or second person — past "zapaliła" → "zapaliłam"/"zapaliłaś",
  present "zapala" → "zapalam"/"zapalasz" (``morph_pl``) — and the name is
  dropped, as Polish drops a pronoun subject.

``adapt`` answers ``None`` when it cannot put a template in that person (a
Polish name in an oblique case, a possessive that would need agreement); the
writer then gives the sentence to someone else rather than print it broken.
"""

from __future__ import annotations

import re

from . import morph_pl
from .lang import load_json

_TENSE_RE = re.compile(r"<([^<>|]*)\|([^<>]*)>")
_SUBJ_BEFORE = re.compile(
    r"(?:^|[,;:—–]\s*|[\"”“]\s+|\b(?:and|then|but|if|when|while|as|that|until|before|after)\s+)$"
)
_JOINED_RE = re.compile(r"(\b(?:and|then|but|or)\s+)(<[^<>|]*\|[^<>]*>)")
_ADVERB = re.compile(r"(\s+(?:\w+ly|never|always|still|almost|nearly|just|only|already|even|finally))?\s+")


class Voice:
    def __init__(self, language: str, pov: str, tense: str) -> None:
        self.language = language
        self.person = 1 if pov == "first" else 2 if pov == "second" else 3
        self.tense = tense
        self.words = load_json(f"{language}/voice.json")

    @property
    def active(self) -> bool:
        return self.person != 3

    def pronoun_slots(self, gender: str) -> dict[str, str]:
        forms = self.words["pronouns"][str(self.person)]
        return {
            "A.pos": forms["pos"],
            "A.subj": forms["subj"],
            "A.obj": forms["obj"],
            "A.self": forms["self"],
        }

    def adapt(self, template: str, *, a: bool, b: bool, gender_a: str, gender_b: str) -> str | None:
        if not self.active:
            return template
        out: str | None = template
        for slot, on, gender in (("A", a, gender_a), ("B", b, gender_b)):
            if on and out is not None:
                out = self._en(out, slot) if self.language == "en" else self._pl(out, slot, gender)
        return out

    # -- English -------------------------------------------------------------------
    def _verb_en(self, marker: re.Match[str]) -> str:
        past, present = marker.group(1), marker.group(2)
        return f"<{self._agree_en(past, past=True)}|{self._agree_en(present, past=False)}>"

    def _agree_en(self, phrase: str, *, past: bool) -> str:
        first, _, rest = phrase.partition(" ")
        table = self.words["past" if past else "present"][str(self.person)]
        if first in table:
            first = table[first]
        elif not past:
            first = _base_en(first)
        return (first + " " + rest).strip() if rest else first

    def _en(self, template: str, slot: str) -> str | None:
        forms = self.words["pronouns"][str(self.person)]
        tag = "{" + slot + "}"
        template = template.replace(tag + "'s ", forms["pos"] + " ").replace(tag + "’s ", forms["pos"] + " ")
        subjects = [tag] + (["{A.subj}"] if slot == "A" else [])
        pieces: list[str] = []
        i = 0
        while True:
            found = [(template.find(s, i), s) for s in subjects if template.find(s, i) >= 0]
            if not found:
                pieces.append(template[i:])
                break
            at, s = min(found)
            before = template[i:at]
            pieces.append(before)
            j = at + len(s)
            if _SUBJ_BEFORE.search("".join(pieces)):
                word = forms["subj"]
                if at == 0 and self.person == 1:
                    word = "I"
                pieces.append(word)
                adv = _ADVERB.match(template, j)
                k = adv.end() if adv else j
                m = _TENSE_RE.match(template, k)
                if m:
                    pieces.append(template[j:k] + self._verb_en(m))
                    j = m.end()
                    # Verbs joined to the same subject: "…, then <turned|turns> away".
                    tail = template[j:]
                    stop = min([p for p in (tail.find("{"), len(tail)) if p >= 0])
                    joined = _JOINED_RE.sub(
                        lambda mm: mm.group(1) + self._verb_en(_TENSE_RE.match(mm.group(2))), tail[:stop]
                    )
                    pieces.append(joined)
                    j += stop
            else:
                pieces.append(forms["obj"])
            i = j
        return "".join(pieces)

    # -- Polish --------------------------------------------------------------------
    def _pl(self, template: str, slot: str, gender: str) -> str | None:
        mark = re.compile(r"\[" + ("B:" if slot == "B" else "") + r"([^\[\]~:]*)~([^\[\]]*)\]")
        changed = False

        def praet(form: str) -> str:
            return morph_pl.past_person(form, self.person) or form

        def tense(m: re.Match[str]) -> str:
            nonlocal changed
            past, present = m.group(1), m.group(2)
            if not mark.search(past):
                return m.group(0)
            changed = True
            past = mark.sub(
                lambda g: f"[{'B:' if slot == 'B' else ''}{praet(g.group(1))}~{praet(g.group(2))}]", past
            )
            first, _, rest = present.partition(" ")
            converted = morph_pl.present_person(first, self.person)
            if converted is None:
                return "\x00"
            return f"<{past}|{(converted + ' ' + rest).strip()}>"

        out = _TENSE_RE.sub(tense, template)
        if "\x00" in out or not changed:
            return None
        if "{" + slot + ".pos}" in out:
            return None  # "jej"/"jego" would need a possessive that agrees with its noun
        # "{A}, latarniczka, zna…" keeps its apposition with a pronoun; elsewhere the subject is dropped.
        out = out.replace("{" + slot + "},", self.words["pronouns"][str(self.person)]["subj_stressed"] + ",")
        out = re.sub(r"\s*\{" + slot + r"\}\s*", " ", out)
        return re.sub(r"\s+([.,;:!?])", r"\1", out).strip()


def _base_en(verb: str) -> str:
    """third-person singular → base: "carries" → "carry", "watches" → "watch", "sits" → "sit"."""
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return verb[:-2]
    if verb.endswith("s") and not verb.endswith("ss"):
        return verb[:-1]
    return verb
