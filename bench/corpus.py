"""Engine-written text for the benches, generated once and cached under var/bench-corpus/.

Synthetic 90-word paragraphs made the benches look better than the product
(issue 18): the offline engine writes ~7,900 paragraphs per 100k words, with
real headings, metadata and vocabulary. ``engine_narrative()`` runs the real
offline engine (no Django needed) and keeps the result as JSON keyed by its
parameters and a digest of the engine's source, so a changed engine writes
anew and an unchanged one costs nothing on the next run.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench-corpus"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

INSPIRATIONS = {
    "en": "A ferrywoman carries letters across a river that forgets everyone who crosses it.",
    "pl": "Przewoźniczka przewozi listy przez rzekę, która zapomina każdego, kto ją przekroczy.",
}


def _engine_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "jobs" / "pipeline").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json"} and "tests" not in path.parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def engine_narrative(ptype: str, words: int, *, language: str = "en", genre: str = "fantasy") -> dict:
    """{title, text, word_count, language, metadata, ...} of one offline-engine run, cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{ptype}-{words}-{language}-{genre}-{_engine_digest()}.json"
    if path.exists():
        return json.loads(path.read_text())
    from jobs.pipeline import Brief, get_backend, run_pipeline

    brief = Brief.from_dict(
        {
            "production_type": ptype,
            "genre": genre,
            "target_words": words,
            "language": language,
            "inspiration": INSPIRATIONS[language],
        }
    )
    started = time.perf_counter()
    result = run_pipeline(brief, backend=get_backend("offline"))
    print(
        f"  (engine wrote {result.word_count:,} words in {time.perf_counter() - started:.0f} s; cached)",
        flush=True,
    )
    metadata = dict(result.metadata or {})
    metadata.setdefault("language", result.language)
    data = {
        "title": result.title,
        "text": result.text,
        "word_count": result.word_count,
        "language": result.language,
        "metadata": metadata,
        "quality_metrics": result.quality_metrics,
        "overall_quality_score": result.overall_quality_score,
        "production_type": ptype,
        "genre": genre,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
    return data


def narrative_fields(sample: dict, **extra) -> dict:
    """Keyword arguments for ``Narrative(...)`` from a cached sample."""
    fields = {
        "title": sample["title"],
        "production_type": sample["production_type"],
        "genre": sample["genre"],
        "narrative_text": sample["text"],
        "word_count": sample["word_count"],
        "metadata": sample["metadata"],
        "quality_metrics": sample["quality_metrics"],
        "overall_quality_score": sample["overall_quality_score"],
        "generation_cost_usd": 0.0,
        "tokens_used": 0,
    }
    fields.update(extra)
    return fields


if __name__ == "__main__":
    for args in (("short_story", 7_500), ("novel", 100_000)):
        sample = engine_narrative(*args)
        print(args, sample["word_count"], sample["text"].count("\n\n"))
