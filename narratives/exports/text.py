"""Plain text and Markdown exports."""

from __future__ import annotations

import re

from narratives.exports.base import Book


def render_txt(book: Book) -> bytes:
    front = book.front
    lines = [book.title, "=" * max(len(book.title), 3), ""]
    if book.author:
        lines += [front.byline]
    lines += [front.words, front.engine, ""]
    for title, paras in book.chapter_paragraphs:
        lines += ["", title, "-" * max(len(title), 3), ""] if title else [""]
        for para in paras:
            lines += [para, ""]
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")


# Characters that would start Markdown syntax (or raw HTML) inside prose.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(#|[-+]\s|\d+[.)]\s|=+\s*$|-+\s*$)")


def md_escape(text: str) -> str:
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(r"\\\1", text)


def md_unescape(text: str) -> str:
    return re.sub(r"\\([\\`*_\[\]<>|#+\-=.)0-9])", r"\1", text)


def render_markdown(book: Book) -> bytes:
    front = book.front
    lines = [f"# {md_escape(book.title)}", ""]
    if book.author:
        lines += [f"*{md_escape(front.byline)}*", ""]
    lines += [f"{md_escape(front.words)}  ", md_escape(front.engine), ""]
    for title, paras in book.chapter_paragraphs:
        if title:
            lines += [f"## {md_escape(title)}", ""]
        for para in paras:
            lines += [md_escape(para), ""]
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")
