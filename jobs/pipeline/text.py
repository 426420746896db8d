"""Text helpers shared by the engine, the metrics and the web layer.

One definition of "word" (a run of letters, with inner apostrophes or hyphens)
is used everywhere so segment sizes, totals and metrics agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[”\"»]?\s+")
HEADING_PREFIX = "## "


@dataclass(frozen=True)
class Chapter:
    title: str
    body: str


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def count_words(text: str) -> int:
    # Cheaper than len(findall) on big texts: no list of strings is kept.
    return sum(1 for _ in WORD_RE.finditer(text))


def estimate_tokens(text: str) -> int:
    """Tokens a BPE tokenizer would roughly use: ~4 characters per token.

    The offline engine uses this for its honest token counts, the budget
    check uses it for prompts before they are sent.
    """
    return (len(text) + 3) // 4


def truncate_to_tokens(text: str, budget: int, *, keep: str = "start") -> str:
    """Cut ``text`` to about ``budget`` tokens on a word boundary."""
    limit = budget * 4
    if len(text) <= limit:
        return text
    if keep == "end":
        cut = text[-limit:]
        space = cut.find(" ")
        return "…" + (cut[space + 1 :] if 0 <= space < 40 else cut)
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit - 40 else cut) + "…"


def tail_words(text: str, n: int) -> str:
    """The last ``n`` words of ``text``, scanning from the end only."""
    # Only look at a window at the end so this stays O(n), not O(len(text)).
    window = text[-n * 12 :]
    parts = window.split()
    return " ".join(parts[-n:])


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph or paragraph.startswith(HEADING_PREFIX):
            continue
        out.extend(s for s in _SENTENCE_END_RE.split(paragraph) if s.strip())
    return out


def chapters_from_text(text: str) -> list[Chapter]:
    """Split a narrative into chapters on lines starting with ``## ``.

    Text before the first heading (if any) becomes an untitled chapter.
    """
    chapters: list[Chapter] = []
    title = ""
    body: list[str] = []
    seen_heading = False
    for line in text.splitlines():
        if line.startswith(HEADING_PREFIX):
            if seen_heading or "".join(body).strip():
                chapters.append(Chapter(title, "\n".join(body).strip()))
            title, body, seen_heading = line[len(HEADING_PREFIX) :].strip(), [], True
        else:
            body.append(line)
    if seen_heading or "".join(body).strip():
        chapters.append(Chapter(title, "\n".join(body).strip()))
    return chapters


def join_chapters(chapters: list[Chapter]) -> str:
    return "\n\n".join(f"{HEADING_PREFIX}{c.title}\n\n{c.body.strip()}" for c in chapters) + "\n"
