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
