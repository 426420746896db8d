"""Chapters as spans of the stored text, so one can be replaced and the others kept byte for byte.

``chapters_from_text`` (``jobs.pipeline.text``) parses chapters into titles
and stripped bodies, which is right for reading but loses the exact bytes
between them. Editing, regenerating or continuing one chapter must leave
every other chapter *byte-identical*, so here a chapter is the slice of the
text from its ``## `` heading line to the next one, numbered exactly as
``chapters_from_text`` numbers them, and a change splices one slice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobs.pipeline.text import HEADING_PREFIX

_HEADING_LINE = re.compile(r"^## .*$", re.MULTILINE)


@dataclass(frozen=True)
class ChapterSpan:
    number: int  # 1-based, as in the reader
    title: str
    start: int  # offset of the heading line (or 0 for untitled text before the first heading)
    end: int  # offset where the next chapter's heading starts (or the text's length)
    has_heading: bool

    def slice(self, text: str) -> str:
        return text[self.start : self.end]

    def body(self, text: str) -> str:
        """The chapter's text without its heading line, stripped (what an editor shows)."""
        piece = self.slice(text)
        if self.has_heading:
            piece = piece.split("\n", 1)[1] if "\n" in piece else ""
        return piece.strip()


def chapter_spans(text: str) -> list[ChapterSpan]:
    """Every chapter's span. Text before the first heading is chapter 1 when it is not blank."""
    text = text or ""
    # chapters_from_text splits with str.splitlines(): a heading is a line that starts with "## ".
    starts = [m.start() for m in _HEADING_LINE.finditer(text)]
    spans: list[ChapterSpan] = []
    if not starts:
        if text.strip():
            spans.append(ChapterSpan(1, "", 0, len(text), False))
        return spans
    if text[: starts[0]].strip():
        spans.append(ChapterSpan(1, "", 0, starts[0], False))
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        line_end = text.find("\n", start)
        line = text[start : line_end if line_end != -1 else len(text)]
        title = line[len(HEADING_PREFIX) :].strip()
        spans.append(ChapterSpan(len(spans) + 1, title, start, end, True))
    return spans


def chapter_span(text: str, number: int) -> ChapterSpan | None:
    spans = chapter_spans(text)
    if 1 <= number <= len(spans):
        return spans[number - 1]
    return None


def render_chapter(*, title: str, body: str) -> str:
    """One chapter as the engine writes it: a ``## `` heading line, a blank line, the body."""
    body = body.strip()
    if not title:
        return body
    return f"{HEADING_PREFIX}{title}\n\n{body}" if body else f"{HEADING_PREFIX}{title}"


def replace_chapter(text: str, number: int, *, title: str, body: str) -> str:
    """``text`` with chapter ``number`` replaced; every byte outside that chapter's span is kept.

    The whitespace that separated the old chapter from the next one is kept too,
    so the next chapter starts exactly where it did relative to its heading.
    Raises IndexError for a chapter that does not exist.
    """
    span = chapter_span(text, number)
    if span is None:
        raise IndexError(number)
    old = span.slice(text)
    trailing = old[len(old.rstrip()) :]
    if span.end < len(text) and "\n" not in trailing:
        trailing = "\n\n"  # the next heading must start on its own line
    return text[: span.start] + render_chapter(title=title, body=body) + trailing + text[span.end :]


def append_chapters(text: str, chapters: list[tuple[str, str]]) -> str:
    """``text`` with chapters added after the last one; every existing byte is kept."""
    out = text or ""
    for title, body in chapters:
        if out.strip():
            if not out.endswith("\n"):
                out += "\n"
            if not out.endswith("\n\n"):
                out += "\n"
        out += render_chapter(title=title, body=body) + "\n"
    return out
