"""The narrative text format, as the web layer and the exports read it.

The engine writes chapters that each start with a ``## <title>`` line and
paragraphs separated by blank lines (see ``jobs.pipeline.text``); this module
reuses its parser so both sides agree on what a chapter is.
"""

from __future__ import annotations

import re

from jobs.pipeline.text import Chapter, chapters_from_text

__all__ = ["Chapter", "chapters_from_text", "paragraphs", "split_paragraphs"]

_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def paragraphs(body: str) -> list[str]:
    """A chapter body's paragraphs: blank-line separated, inner line breaks kept as spaces."""
    out = []
    for block in _BLANK_LINES.split(body.replace("\r\n", "\n")):
        block = " ".join(line.strip() for line in block.split("\n") if line.strip())
        if block:
            out.append(block)
    return out


def split_paragraphs(text: str) -> list[str]:
    """The whole text's paragraphs, chapter headings included as their own paragraphs."""
    return paragraphs(text)
