"""Text from people, commands and old rows, made safe to store, show and export.

Control characters (C0 but tab and newline, DEL, C1), terminal escape
sequences and the non-characters U+FFFE/U+FFFF mean nothing in a title, a
brief or a story: PostgreSQL refuses NUL, XML (EPUB, DOCX) refuses the rest,
and a terminal would obey them. Every input strips them (forms through
``CleanInputMixin`` in narraforge.forms, services through these functions) and
every export cleans what it reads, for rows stored before that. Emoji, joiners
(U+200D) and variation selectors are kept.
"""

from __future__ import annotations

import re
from typing import Any

# An ANSI/VT escape sequence (CSI "ESC [ ... final", or ESC and one character), then any lone control.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]?")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")


def strip_control_chars(text: str, *, multiline: bool = True) -> str:
    """``text`` without control characters; newlines and tabs kept when ``multiline``, else spaces."""
    if not text:
        return text
    text = _LINE_BREAKS.sub("\n", text)
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


def clean_data(value: Any) -> Any:
    """A JSON-like value (a brief, a plan, a world) with every string, keys included, cleaned."""
    if isinstance(value, str):
        return strip_control_chars(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_data(v) for v in value]
    return value
