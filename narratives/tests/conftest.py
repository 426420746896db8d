"""Narratives made with the ORM from the metadata of a real (cached) offline-engine run."""

from __future__ import annotations

import copy
import functools

import pytest

POLISH = "Zażółć gęślą jaźń. Łódź, Świętokrzyskie, ŹDŹBŁO, ńąę."
GERMAN = "Die Straße ist groß, und der Fluß fließt weiß."


def chapter_text(chapters: list[tuple[str, list[str]]]) -> str:
    return "\n\n".join(f"## {title}\n\n" + "\n\n".join(paras) for title, paras in chapters) + "\n"


SAMPLE_CHAPTERS = [
    (
        "The Salt Road",
        [
            "Mara left the harbour before dawn.",
            f"She whispered: {POLISH}",
            "The gulls followed.",
        ],
    ),
    ("Straße der Nacht", [GERMAN, "Night came over the dunes & the <old> wells.", "She counted the stars."]),
    ("Homecoming", ["The gate was open.", "Nobody waited — and that was enough."]),
]


@functools.cache
def offline_run(language: str = "en"):
    """One real run of the offline engine per language and test process: what the engine writes."""
    from jobs.pipeline import Brief, get_backend, run_pipeline

    brief = Brief.from_dict(
        {
            "production_type": "short_story",
            "genre": "fantasy",
            "inspiration": "A salt-road courier carries her father's debt across the dunes.",
            "target_words": 5000,
            "language": language,
        }
    )
    return run_pipeline(brief, backend=get_backend("offline"))


def sample_metadata(language: str = "en", chapters=SAMPLE_CHAPTERS) -> dict:
    """The metadata a real offline run wrote; its chapter list describes the fixture's own text.

    The text under test is hand-written (Unicode, markup, several languages), so the
    engine's chapter entries are replaced by entries of the same shape for that text.
    """
    metadata = copy.deepcopy(offline_run(language).metadata)
    metadata["chapters"] = [
        {"index": i, "title": title, "word_count": len(" ".join(paras).split())}
        for i, (title, paras) in enumerate(chapters, start=1)
    ]
    return metadata


@pytest.fixture
def make_narrative(db):
    from narratives.models import Narrative

    def make(user, *, title="The Salt Road", chapters=SAMPLE_CHAPTERS, text=None, language="en", **extra):
        text = chapter_text(chapters) if text is None else text
        metadata = extra.pop("metadata", None) or sample_metadata(language, chapters)
        fields = {
            "production_type": "short_story",
            "genre": "fantasy",
            "word_count": len(text.split()),
            "generation_cost_usd": 0.0,
            "tokens_used": offline_run(language).tokens_used,
            "overall_quality_score": 0.84,
            "quality_metrics": metadata.get("quality_metrics"),
        }
        fields.update(extra)
        return Narrative.objects.create(
            user=user, title=title, narrative_text=text, metadata=metadata, **fields
        )

    return make


@pytest.fixture
def narrative(owner, make_narrative):
    return make_narrative(owner)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
