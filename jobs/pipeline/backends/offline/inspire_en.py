"""Reading an English inspiration: who (a role), doing what (a verb), with what (the motif)."""

from __future__ import annotations

from .lang import load_json
from .motif import Motif, _data, _is_word, _keywords, _setting, _tokens


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
    if words & frozenset(load_json("en/people.json")["feminine"]) or any(
        w.endswith("ess") for w in role_words
    ):
        gender = "f"
    elif words & frozenset(load_json("en/people.json")["masculine"]):
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
