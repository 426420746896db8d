"""Narratives made directly with the ORM (tests never depend on the engine)."""

from __future__ import annotations

import pytest

POLISH = "Zażółć gęślą jaźń. Łódź, Świętokrzyskie, ŹDŹBŁO, ńąę."
GERMAN = "Die Straße ist groß, und der Fluß fließt weiß."


def chapter_text(chapters: list[tuple[str, list[str]]]) -> str:
    return "\n\n".join(f"## {title}\n\n" + "\n\n".join(paras) for title, paras in chapters) + "\n"


SAMPLE_CHAPTERS = [
    ("The Salt Road", [
        "Mara left the harbour before dawn.", f"She whispered: {POLISH}", "The gulls followed.",
    ]),
    ("Straße der Nacht", [GERMAN, "Night came over the dunes & the <old> wells.", "She counted the stars."]),
    ("Homecoming", ["The gate was open.", "Nobody waited — and that was enough."]),
]


def sample_metadata(language: str = "en", chapters=SAMPLE_CHAPTERS) -> dict:
    return {
        "engine": "offline",
        "language": language,
        "world": {
            "name": "The Salt Coast",
            "laws": ["Salt remembers every oath."],
            "boundaries": ["No one crosses the dunes at night."],
            "locations": [{"name": "Harbour", "description": "A grey harbour of broken boats."}],
            "core_conflict": "The sea wants its salt back.",
            "theme": "Debts that outlive people.",
        },
        "characters": [
            {"name": "Mara", "gender": "f", "role": "protagonist", "goal": "Pay her father's debt",
             "arc": "From obedience to defiance", "contradictions": ["brave but afraid of water"],
             "voice": "dry"},
            {"name": "Oren", "gender": "m", "role": "antagonist", "goal": "Own the salt", "arc": "Falls",
             "contradictions": [], "voice": "smooth"},
        ],
        "structure": {
            "structure": "three_act",
            "acts": [{"number": 1, "name": "Setup", "purpose": "Leave home", "proportion": 0.3,
                      "beats": [{"name": "Inciting incident", "description": "The debt is called."}]}],
            "pacing": [0.2, 0.5, 0.9],
        },
        "segments": [],
        "chapters": [
            {"index": i, "title": t, "word_count": 10} for i, (t, _) in enumerate(chapters, start=1)
        ],
        "usage_by_stage": {
            "sequential_generation": {"model": "offline", "tier": "gpt4", "input_tokens": 1200,
                                      "output_tokens": 800, "cost_usd": 0.0},
        },
        "usage_by_tier": {
            "mini": {"tokens": 300, "cost_usd": 0.0}, "gpt4": {"tokens": 2000, "cost_usd": 0.0},
        },
        "quality_metrics": {
            "coherence": {"value": 0.91, "explanation": "Events follow from earlier events."},
            "pacing": {"value": 0.77, "explanation": "Tension rises toward the climax."},
        },
    }


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
            "tokens_used": 2300,
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
