"""Reading a Polish inspiration: who (a role), doing what (a verb), with what (the motif)."""

from __future__ import annotations

from . import morph_pl
from .motif import Motif, _data, _is_word, _keywords, _setting, _tokens


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
        if w in lexicon or (len(w) > 3 and morph_pl.is_verb(w) and not morph_pl.name_kind(toks[i])):
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
