"""Typography per language (stage 08 offline): curly quotes and dashes for
English; „…” quotes and no one-letter word at a line end for Polish."""

from __future__ import annotations

import re

_SPACES_RE = re.compile(r"[ \t]+")
_PL_ORPHAN_RE = re.compile(r"(?<![\w])([aiouwzAIOUWZ]) ")


def stylise(text: str, language: str) -> str:
    text = _SPACES_RE.sub(" ", text).replace(" --", " —").replace("...", "…")
    if language == "pl":
        text = re.sub(r'"([^"\n]*)"', "„\\1”", text)
        return _PL_ORPHAN_RE.sub("\\1\u00a0", text)
    text = re.sub(r'(^|[\s(—])"', "\\1“", text)
    text = text.replace('"', "”")
    return text.replace("'", "’")


_GAP_RE = re.compile(r"\s+([,.;:!?])")
_DOUBLED_RE = re.compile(r"\b(\w{2,})\s+\1\b", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"[^.!?…]+[.!?…]+[”\"»]?\s*|[^.!?…]+$")


def _drop_repeats(text: str) -> str:
    """Sentences of five or more words that repeat an earlier one are cut (case and punctuation ignored)."""
    seen: set[str] = set()
    paragraphs = []
    for para in text.split("\n\n"):
        kept = []
        for sentence in _SENTENCE_RE.findall(para):
            key = " ".join(re.findall(r"\w+", sentence.lower()))
            if len(key.split()) >= 5 and key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        if "".join(kept).strip():
            paragraphs.append("".join(kept).strip())
    return "\n\n".join(paragraphs)


def _close_quotes(text: str) -> str:
    """A paragraph with an odd number of straight quotes gets the closing one it lacks."""
    return "\n\n".join(p + '"' if p.count('"') % 2 else p for p in text.split("\n\n"))


def fix_flagged(text: str, flags: list[str]) -> str:
    """The offline polish: what the local checks flagged and plain text rules can fix.

    Repeated sentences are cut and broken punctuation is repaired; stock phrases and a
    short segment need a writer (a model), so those flags are only reported.
    """
    if "repetition" in flags:
        text = _drop_repeats(text)
    if "dialogue_punctuation" in flags:
        text = _close_quotes(_DOUBLED_RE.sub(r"\1", _GAP_RE.sub(r"\1", text)))
    return text
