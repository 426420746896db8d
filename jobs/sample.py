"""A real excerpt of the offline engine for the landing page.

The landing page used to show a hand-written paragraph far better than what
the offline engine writes. This runs the engine on one fixed brief (about a
tenth of a second, once per process) and shows its opening, unedited.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from jobs.pipeline import Brief, EngineConfig, chapters_from_text, count_words, get_backend, run_pipeline

SAMPLE_BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "title": "The Salt Archivist",
    "inspiration": (
        "Every spring the tide takes the lower floor of a coastal archive; the archivist wades in after it."
    ),
    "target_words": 5000,
}
EXCERPT_WORDS = 70


@dataclass(frozen=True)
class Sample:
    title: str
    chapter: str
    paragraphs: tuple[str, ...]
    word_count: int
    production_type: str
    genre: str


@functools.cache
def offline_sample() -> Sample:
    """The first whole paragraphs (about EXCERPT_WORDS words) of the offline story for SAMPLE_BRIEF."""
    result = run_pipeline(Brief.from_dict(SAMPLE_BRIEF), backend=get_backend("offline", EngineConfig()))
    chapter = chapters_from_text(result.text)[0]
    paragraphs: list[str] = []
    for paragraph in (p.strip() for p in chapter.body.split("\n\n")):
        if not paragraph:
            continue
        paragraphs.append(paragraph)
        if count_words(" ".join(paragraphs)) >= EXCERPT_WORDS:
            break
    return Sample(
        title=result.title,
        chapter=chapter.title,
        paragraphs=tuple(paragraphs),
        word_count=count_words(result.text),
        production_type=SAMPLE_BRIEF["production_type"],
        genre=SAMPLE_BRIEF["genre"],
    )
