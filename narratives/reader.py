"""The reader's chapter HTML, built once per version and cached.

A 100k-word narrative has ~8,000 paragraphs; looping over them in the
template cost ~70 % of the reader's time on every request. The body is built
here instead — escaped and joined in Python — and cached under the narrative's
id and ``updated_at`` (which only content changes move, see migration 0004 of
narratives), so a version is rendered once and later opens read one cache
entry. ``RENDER_VERSION`` changes the key when this markup changes.

Each process also keeps the bodies it served last in memory (``LOCAL_BYTES``
in all): a 100k-word body is ~600 KB, and fetching and unpickling it from
Redis on every open was the reader's largest cost. The key already names the
version, so a stale entry can never be served for a changed text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from narraforge.lru import SizedLRU
from narratives.models import Narrative
from narratives.selectors import reader_chapters

RENDER_VERSION = 2
TTL_SECONDS = 7 * 24 * 3600
LOCAL_BYTES = 24 * 1024 * 1024  # per process: ~40 novels' bodies


@dataclass(frozen=True)
class ReaderChapterHtml:
    """One chapter's escaped paragraphs; the template wraps them with its heading and tools."""

    number: int
    anchor: str
    title: str
    html: SafeString


@dataclass(frozen=True)
class ReaderBody:
    toc: list[tuple[str, str]]  # (anchor, title) per chapter
    chapters: list[ReaderChapterHtml]

    @property
    def size(self) -> int:
        """Characters of HTML (what the per-process cache counts)."""
        return sum(len(c.html) for c in self.chapters)


def cache_key(narrative: Narrative) -> str:
    stamp = narrative.updated_at.timestamp() if narrative.updated_at else 0
    return f"reader:{RENDER_VERSION}:{narrative.pk}:{stamp:.6f}"


def build_body(narrative: Narrative) -> ReaderBody:
    toc, chapters = [], []
    for ch in reader_chapters(narrative):
        toc.append((ch.anchor, ch.title))
        html = mark_safe("\n".join(f"<p>{escape(p)}</p>" for p in ch.paragraphs))  # noqa: S308 - escaped
        chapters.append(ReaderChapterHtml(ch.number, ch.anchor, ch.title, html))
    return ReaderBody(toc=toc, chapters=chapters)


local_bodies: SizedLRU[ReaderBody] = SizedLRU(LOCAL_BYTES, size_of=lambda body: body.size)


def reader_body(narrative: Narrative) -> ReaderBody:
    """The cached body of this version, built (and stored) on the first open."""
    key = cache_key(narrative)
    body = local_bodies.get(key)
    if body is not None:
        return body
    found = cache.get(key)
    if found is not None:
        toc, chapters = found
        body = ReaderBody(
            toc=toc,
            chapters=[
                ReaderChapterHtml(n, a, t, mark_safe(h))  # noqa: S308 - stored after escaping
                for n, a, t, h in chapters
            ],
        )
    else:
        body = build_body(narrative)
        stored = [(c.number, c.anchor, c.title, str(c.html)) for c in body.chapters]
        cache.set(key, (body.toc, stored), TTL_SECONDS)
    local_bodies.put(key, body)
    return body
