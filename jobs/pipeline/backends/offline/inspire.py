"""Reading the writer's inspiration: who, doing what, with what, where.

A deterministic, language-aware heuristic (no model, no tagger) over the
first sentences of the inspiration, driven by the word lists in
``data/<lang>/inspiration.json``:

* the leading noun phrase before a verb or a relative pronoun is the
  protagonist's role ("A lighthouse keeper who …" → "lighthouse keeper",
  "Latarnik, który …" → "latarnik");
* the verb after it (its past form is derived by rule or from a small table)
  and the noun phrase it governs are the central motif ("collects storms in
  jars", "zbiera burze do słoików");
* a setting word anywhere in the text ("lighthouse", "latarn-") becomes a
  location; other noun phrases after determiners or prepositions are kept as
  secondary objects.

``world_notes`` get a lighter reading: each sentence can become a law of the
world and capitalised names inside it become locations.

Polish cases are not re-inflected: the motif keeps the case it had after its
verb (accusative, usually), so the templates only use it in object position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .lang import capitalise, load_json

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|[.,;:!?—–()\"“”„]")
_SENT_RE = re.compile(r"(?<=[.!?…])\s+")
_FEMININE_EN = frozenset(
    [
        "she",
        "her",
        "hers",
        "herself",
        "woman",
        "girl",
        "queen",
        "widow",
        "mother",
        "sister",
        "daughter",
        "wife",
        "princess",
        "witch",
        "nun",
        "aunt",
        "grandmother",
        "lady",
        "bride",
        "heiress",
        "actress",
        "waitress",
        "seamstress",
    ]
)
_MASCULINE_EN = frozenset(
    [
        "he",
        "him",
        "his",
        "himself",
        "man",
        "boy",
        "king",
        "widower",
        "father",
        "brother",
        "son",
        "husband",
        "prince",
        "monk",
        "uncle",
        "grandfather",
        "lord",
        "groom",
        "heir",
    ]
)


@dataclass(frozen=True)
class Motif:
    """What the offline engine took from the inspiration."""

    language: str
    role: str = ""  # "lighthouse keeper" / "latarnik"
    gender: str = ""  # "f", "m" or "" when the text does not say
    verb: str = ""  # present, third person: "collects" / "zbiera"
    verb_past: str = ""  # "collected" / "zbierał~zbierała"
    motif: str = ""  # the central object phrase: "storms in jars"
    head: str = ""  # its first noun, with its determiner in English: "the storms"
    plural: bool = True
    objects: tuple[str, ...] = ()  # secondary noun phrases
    setting: tuple[str, str] | None = None  # (location name, description)
    keywords: tuple[str, ...] = field(default=())

    @property
    def has_motif(self) -> bool:
        return bool(self.motif)

    def verb_for(self, tense: str, gender: str) -> str:
        if tense != "past" or not self.verb_past:
            return self.verb
        forms = self.verb_past.split("~")
        return forms[1] if gender == "f" and len(forms) > 1 else forms[0]


def _data(language: str) -> dict[str, Any]:
    return load_json(f"{language}/inspiration.json")


def _tokens(text: str, limit: int = 80) -> list[str]:
    sentences = _SENT_RE.split(" ".join(text.split()))
    out: list[str] = []
    for s in sentences[:3]:
        out += _TOKEN_RE.findall(s) + ["."]
        if len(out) >= limit:
            break
    return out[:limit]


def _is_word(tok: str) -> bool:
    return tok[:1].isalpha()


# -- English ------------------------------------------------------------------


def _en_base(word: str, lexicon: frozenset[str]) -> str | None:
    """The base form of an inflected (3rd person or past) verb in the lexicon."""
    candidates = []
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("es"):
        candidates.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        candidates.append(word[:-1])
    if word.endswith("ed") and len(word) > 4:
        candidates += [word[:-2], word[:-1], word[:-3] if word[-3] == word[-4] else ""]
    for c in candidates:
        if len(c) >= 4 and c in lexicon:
            return c
    return None


def _en_past(present: str, base: str, irregular: dict[str, str]) -> str:
    if base in irregular:
        return irregular[base]
    if base.endswith("e"):
        return base + "d"
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return base[:-1] + "ied"
    return base + "ed"


def _analyse_en(text: str) -> Motif:
    d = _data("en")
    stop, dets = frozenset(d["stopwords"]), frozenset(d["determiners"])
    rel, conn = frozenset(d["relatives"]), frozenset(d["connectors"])
    lexicon, irregular = frozenset(d["verbs"]), d["irregular"]
    past_forms = {v: k for k, v in irregular.items()}
    toks = _tokens(text)
    low = [t.lower() for t in toks]

    def verb_base(i: int) -> str | None:
        w = low[i]
        if not _is_word(w):
            return None
        prev = low[i - 1] if i else ""
        if prev in ("a", "an", "the") or w in stop:
            return None  # "a haunted bakery": a participle used as an adjective
        base = _en_base(w, lexicon) or past_forms.get(w)
        if base:
            return base
        if prev in rel | {"she", "he", "they", "it", "we", "i"}:
            return w[:-1] if w.endswith("s") and not w.endswith("ss") else w
        prev_content = _is_word(prev) and prev not in stop
        if prev_content and w in lexicon:  # "the dead remember", "two sisters inherit"
            return w
        if prev_content and w.endswith("s") and not w.endswith(("ss", "us", "is")) and not prev.endswith("s"):
            return w[:-1]  # "an old widow bakes": a noun followed by an -s word is a verb
        return None

    def content(i: int) -> bool:
        return i < len(low) and _is_word(low[i]) and low[i] not in stop and verb_base(i) is None

    i = 0
    while i < len(low) and i < 3 and low[i] in stop:
        i += 1
    role_words: list[str] = []
    while (
        i < len(low)
        and (content(i) or (low[i] in d["keep_adjectives"] and not role_words))
        and len(role_words) < 4
    ):
        role_words.append(low[i] if not toks[i][:1].isupper() or i == 0 else toks[i])
        i += 1
    # The main verb: the first verb after the role (allowing "who", commas, adverbs).
    verb = base = ""
    j = i
    while j < min(len(low), i + 6):
        b = verb_base(j)
        if b:
            verb, base = low[j], b
            break
        if low[j] in (".", ";", ":"):
            break
        j += 1
    motif_words: list[str] = []
    if verb:
        k = j + 1
        det = ""
        if k < len(low) and low[k] in ("the", "a", "an", "his", "her", "their", "its"):
            det = low[k]
            k += 1
        while k < len(low):
            if content(k):
                motif_words.append(toks[k] if toks[k][:1].isupper() else low[k])
                k += 1
            elif (
                low[k] in conn
                and motif_words
                and (
                    content(k + 1)
                    or (low[k + 1 : k + 2] and low[k + 1] in ("a", "an", "the") and content(k + 2))
                )
            ):
                motif_words.append(low[k])
                if low[k + 1] in ("a", "an", "the"):
                    motif_words.append(low[k + 1])
                    k += 1
                k += 1
            else:
                break
        if motif_words and det in ("the",):
            motif_words.insert(0, det)
    if not verb and role_words and not role_words[-1].endswith(tuple(d["agent_suffixes"])):
        role_words = []  # no verb and no agent noun: probably not a "someone who does something"
    if verb and verb == base:  # "two sisters inherit" → "inherits" for one protagonist
        verb = base + ("es" if base.endswith(("s", "sh", "ch", "x", "z", "o")) else "s")
        if base.endswith("y") and base[-2:-1] not in "aeiou":
            verb = base[:-1] + "ies"
    # Other noun phrases: runs of content words after a determiner.
    objects: list[str] = []
    for n in range(1, len(low)):
        if low[n - 1] in dets and content(n) and not content(n - 1):
            run = []
            m = n
            while content(m) and len(run) < 3:
                run.append(low[m])
                m += 1
            phrase = " ".join(run)
            if phrase and phrase not in " ".join(motif_words) and phrase != " ".join(role_words):
                objects.append(phrase)
    objects = list(dict.fromkeys(objects))
    if not motif_words and objects:  # "A cartographer learns that the maps …": the first noun phrase
        motif_words = ["the", *objects.pop(0).split()]
    gender = ""
    words = set(low)
    if words & _FEMININE_EN or any(w.endswith("ess") for w in role_words):
        gender = "f"
    elif words & _MASCULINE_EN:
        gender = "m"
    content_motif = [w for w in motif_words if w not in ("the", "a", "an") and w not in conn]
    first_run = []
    for w in motif_words:
        if w in conn:
            break
        if w not in ("the", "a", "an"):
            first_run.append(w)
    head_noun = first_run[-1] if first_run else ""
    head = ("the " + head_noun) if head_noun else ""
    plural = head_noun.endswith("s") and not head_noun.endswith("ss")
    setting = _setting(low, d["settings"], exact=True)
    role = " ".join(role_words)
    return Motif(
        "en",
        role=role,
        gender=gender,
        verb=verb,
        verb_past=_en_past(verb, base, irregular) if verb else "",
        motif=" ".join(motif_words),
        head=head,
        plural=plural,
        objects=tuple(objects[:4]),
        setting=setting,
        keywords=_keywords(role_words + content_motif + ([verb] if verb else []), stop),
    )


# -- Polish -------------------------------------------------------------------


def _pl_past(verb: str, table: dict[str, str], rules: list[list[str]]) -> str:
    if verb in table:
        return table[verb]
    for ending, m, f in rules:
        if verb.endswith(ending):
            stem = verb[: -len(ending)]
            return f"{stem}{m}~{stem}{f}"
    return ""


def _analyse_pl(text: str) -> Motif:
    d = _data("pl")
    stop, dets = frozenset(d["stopwords"]), frozenset(d["determiners"])
    rel, conn = frozenset(d["relatives"]), frozenset(d["connectors"])
    lexicon = frozenset(d["verbs"])
    toks = _tokens(text)
    low = [t.lower() for t in toks]

    def is_verb(i: int) -> bool:
        w = low[i]
        if not _is_word(w):
            return False
        if w in lexicon:
            return True
        prev = low[i - 1] if i else ""
        return prev in rel and w not in stop

    def content(i: int) -> bool:
        return i < len(low) and _is_word(low[i]) and low[i] not in stop and not is_verb(i)

    i = 0
    while i < len(low) and i < 3 and low[i] in stop:
        i += 1
    role_words: list[str] = []
    while i < len(low) and content(i) and len(role_words) < 3:
        if role_words and (low[i].endswith("ą") or low[i] in lexicon):
            break  # "siostry dziedziczą": a plural verb ends the subject
        role_words.append(low[i] if i == 0 or not toks[i][:1].isupper() else toks[i])
        i += 1
        # An adjective ending lets the phrase go on ("stary zegarmistrz"); a noun ends it.
        if not role_words[-1].endswith(("y", "i", "a", "e")) or len(role_words) == 2:
            break
    verb = ""
    j = i
    while j < min(len(low), i + 6):
        if is_verb(j) or (j == i and content(j)):  # Polish is SVO: the word after the subject
            verb = low[j]
            break
        if low[j] in (".", ";", ":"):
            break
        j += 1
    if verb.endswith("ą"):  # plural subject ("siostry dziedziczą"): singular for one protagonist
        for ending, singular in d["plural_to_singular"]:
            if verb.endswith(ending):
                verb = verb[: -len(ending)] + singular
                break
    motif_words: list[str] = []
    if verb:
        k = j + 1
        # "zbiera się" / reflexives: skip "się"
        if k < len(low) and low[k] == "się":
            k += 1
        while k < len(low):
            if content(k):
                motif_words.append(toks[k] if toks[k][:1].isupper() else low[k])
                k += 1
            elif low[k] in conn and motif_words and content(k + 1):
                motif_words.append(low[k])
                k += 1
            else:
                break
    objects: list[str] = []
    for n in range(1, len(low)):
        if low[n - 1] in dets | {","} and content(n) and not content(n - 1):
            run = []
            m = n
            while content(m) and len(run) < 3:
                run.append(low[m])
                m += 1
            phrase = " ".join(run)
            if phrase and phrase not in " ".join(motif_words) and phrase != " ".join(role_words):
                objects.append(phrase)
    objects = list(dict.fromkeys(objects))
    if not motif_words and objects:
        motif_words = objects.pop(0).split()
    last = role_words[-1] if role_words else ""
    gender = "f" if last.endswith("a") else "m" if last else ""
    content_motif = [w for w in motif_words if w not in conn]
    setting = _setting(low, d["settings"], exact=False)
    return Motif(
        "pl",
        role=" ".join(role_words),
        gender=gender,
        verb=verb,
        verb_past=_pl_past(verb, d["past"], d["past_rules"]) if verb else "",
        motif=" ".join(motif_words),
        head=content_motif[0] if content_motif else "",
        plural=True,
        objects=tuple(objects[:4]),
        setting=setting,
        keywords=_keywords(role_words + content_motif + ([verb] if verb else []), stop),
    )


def _setting(low: list[str], settings: dict[str, list[str]], *, exact: bool) -> tuple[str, str] | None:
    for w in low:
        if not _is_word(w):
            continue
        for key, (name, desc) in settings.items():
            if exact:
                hit = w == key or w == key + "s" or (len(key) >= 6 and w.startswith(key))
            else:
                hit = w.startswith(key) and (len(key) >= 5 or len(w) <= len(key) + 3)
            if hit:
                return name, desc
    return None


def _keywords(candidates: list[str], stop: frozenset[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w.lower() for w in candidates if len(w) >= 3 and w.lower() not in stop))


def _written_in(text: str, language: str) -> bool:
    """False when the text reads as the other language (an English idea in a Polish brief)."""
    toks = [t.lower() for t in _tokens(text) if _is_word(t)]
    own = sum(t in frozenset(_data(language)["stopwords"]) for t in toks)
    other = "en" if language == "pl" else "pl"
    return own >= sum(t in frozenset(_data(other)["stopwords"]) for t in toks)


@cache
def analyse(inspiration: str, language: str) -> Motif:
    """The motif of an inspiration (cached: every segment asks again).

    An inspiration written in another language than the brief's gives an empty
    motif: its words cannot be woven into the prose grammatically.
    """
    if not _written_in(inspiration, language):
        return Motif(language)
    try:
        return _analyse_pl(inspiration) if language == "pl" else _analyse_en(inspiration)
    except (IndexError, KeyError, ValueError):  # a heuristic must never break a run
        return Motif(language)


# -- slot values for the planning and prose templates --------------------------------


def slots(m: Motif, *, tense: str = "present", gender: str = "m") -> dict[str, str]:
    """Values for ``{role}``, ``{motif}``, ``{mverb}`` … in templates."""
    d = _data(m.language)
    role = m.role or d["role_default"]
    motif = m.motif or (m.objects[0] if m.objects else "")
    head = m.head or motif
    out = {
        "role": role,
        "Role": " ".join(capitalise(w) for w in role.split()) if m.language == "en" else capitalise(role),
        "role_article": "an" if role[:1] in "aeiou" else "a",
        "motif": motif,
        "Motif": _title_case(motif) if m.language == "en" else capitalise(motif),
        "mhead": head,
        "mverb": m.verb_for(tense, gender) if m.verb else "",
        "are": "are" if m.plural else "is",
        "them": "them" if m.plural else "it",
        "they": "they" if m.plural else "it",
        "which": "która" if m.gender == "f" else "który",
        "setting": m.setting[0] if m.setting else "",
    }
    out["role_pl"] = role + ("s" if not role.endswith("s") else "es") if m.language == "en" else role
    return out


def _title_case(text: str) -> str:
    small = {"of", "in", "a", "an", "the", "and", "from", "with", "for", "to"}
    ws = text.split()
    if ws and ws[0] == "the":
        ws = ws[1:]
    return " ".join(w if (w in small and i) else capitalise(w) for i, w in enumerate(ws))


def fill(template: str, values: dict[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


_NAME_RE = re.compile(
    r"(?<![.!?]\s)(?<!^)\b((?:the\s+)?[A-ZĄĆĘŁŃÓŚŹŻ][\w’'\-]+(?:\s+(?:of\s+|the\s+)?[A-ZĄĆĘŁŃÓŚŹŻ][\w’'\-]+)*)"
)


def _not_places() -> frozenset[str]:
    return frozenset(w for code in ("en", "pl") for w in _data(code).get("not_places", []))


def read_notes(notes: str) -> tuple[list[str], list[str]]:
    """Laws (whole sentences) and place names (capitalised runs not opening a sentence)."""
    laws, places = [], []
    for line in notes.splitlines():
        for sentence in _SENT_RE.split(line.strip()):
            sentence = sentence.strip(" -•*")
            if not sentence:
                continue
            if sentence[-1] not in ".!?…":
                sentence += "."
            laws.append(capitalise(sentence)[:400])
            for match in _NAME_RE.finditer(sentence):
                name = match.group(1)
                if match.start() == 0 or len(name) < 3 or name.lower() in _not_places():
                    continue
                places.append(name)
    return list(dict.fromkeys(laws)), list(dict.fromkeys(places))
