"""EPUB 3 export with ebooklib: one XHTML document per chapter, a nav TOC and an NCX."""

from __future__ import annotations

import io

from django.utils.html import escape
from ebooklib import epub

from narratives.exports.base import Book

_CSS = """
body { font-family: serif; line-height: 1.5; margin: 0 5%; }
h1 { text-align: center; margin: 3em 0 1em; font-size: 1.6em; }
h2 { text-align: center; margin: 2em 0 1.5em; font-size: 1.3em; page-break-before: always; }
p { margin: 0; text-indent: 1.5em; text-align: justify; }
h2 + p, p.first { text-indent: 0; }
.titlepage { text-align: center; margin-top: 30%; }
.titlepage .author { font-style: italic; margin-top: 2em; text-indent: 0; text-align: center; }
.titlepage .engine { font-size: 0.8em; margin-top: 4em; text-indent: 0; text-align: center; }
"""


def render_epub(book: Book) -> bytes:
    doc = epub.EpubBook()
    doc.set_identifier(f"urn:narraforge:{book.id}:v{book.version}")
    doc.set_title(book.title)
    doc.set_language(book.language)
    doc.add_author(book.author)
    doc.add_metadata("DC", "publisher", "NarraForge")
    doc.add_metadata("DC", "subject", book.genre)
    doc.add_metadata("DC", "type", book.production_type)
    if book.description:
        doc.add_metadata("DC", "description", book.description)
    if book.created_at:
        doc.add_metadata("DC", "date", book.created_at.date().isoformat())
    if book.engine:
        doc.add_metadata(None, "meta", "", {"name": "narraforge:engine", "content": book.engine})

    style = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css", content=_CSS)
    doc.add_item(style)

    title_page = epub.EpubHtml(title=book.title, file_name="title.xhtml", lang=book.language)
    title_page.content = (
        f'<div class="titlepage"><h1>{escape(book.title)}</h1>'
        f'<p class="author">{escape(book.front.byline)}</p>'
        f'<p class="engine">{escape(book.front.engine)}</p></div>'
    )
    title_page.add_item(style)
    doc.add_item(title_page)

    chapters = []
    for number, (title, paras) in enumerate(book.chapter_paragraphs, start=1):
        heading = title or f"{number}"
        item = epub.EpubHtml(title=heading, file_name=f"chapter-{number:03d}.xhtml", lang=book.language)
        body = "".join(f"<p>{escape(p)}</p>" for p in paras)
        item.content = f"<h2>{escape(heading)}</h2>{body}"
        item.add_item(style)
        doc.add_item(item)
        chapters.append(item)

    doc.toc = [epub.Link(c.file_name, c.title, c.file_name.removesuffix(".xhtml")) for c in chapters]
    doc.add_item(epub.EpubNcx())
    doc.add_item(epub.EpubNav())
    doc.spine = [title_page, "nav", *chapters]

    out = io.BytesIO()
    epub.write_epub(out, doc, {"epub3_pages": False, "raise_exceptions": True})
    return out.getvalue()
