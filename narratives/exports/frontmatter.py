"""The words every export prints around the story, in the narrative's language.

Front matter (byline, approximate length, which engine wrote it) follows the
narrative's language, so a Polish book does not open with "by …". Languages
the engine writes are here; anything else falls back to English.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FrontMatter:
    byline: str  # "by Olive Owner"; a Polish title page carries just the name
    words: str  # "about 37,000 words"
    engine: str  # "Written by the NarraForge offline engine"
    end: str = "# # #"


_ENGINES = {
    "en": {
        "offline": "Written by the NarraForge offline engine (no language model)",
        "openai": "Written with NarraForge by a language model (OpenAI-compatible)",
        "": "Written with NarraForge",
    },
    "pl": {
        "offline": "Napisane przez silnik offline NarraForge (bez modelu językowego)",
        "openai": "Napisane w NarraForge przez model językowy (zgodny z OpenAI)",
        "": "Napisane w NarraForge",
    },
}


# Genre and type names for the files' metadata (EPUB subject/type, DOCX and PDF subject).
_LABELS = {
    "pl": {
        "short_story": "Opowiadanie",
        "novella": "Nowela",
        "novel": "Powieść",
        "epic_saga": "Saga epicka",
        "fantasy": "Fantasy",
        "scifi": "Fantastyka naukowa",
        "horror": "Horror",
        "thriller": "Thriller",
        "mystery": "Kryminał",
        "drama": "Dramat",
        "romance": "Romans",
        "hybrid": "Gatunek mieszany",
    },
}


def label(language: str, key: str | None, english: str) -> str:
    """A genre's or production type's name in ``language``; ``english`` (the site's label) otherwise."""
    return _LABELS.get(language, {}).get(key or "", english)


def subject(language: str, *, genre: str, production_type: str) -> str:
    """English "Fantasy short story"; Polish puts the noun first: "Opowiadanie (fantasy)"."""
    if language == "pl":
        return f"{production_type} ({genre.lower()})"
    return f"{genre} {production_type.lower()}"


def approx_words(n: int) -> int:
    """A manuscript's word count rounded as agents expect: to 100s, 500s or 1,000s."""
    step = 100 if n < 1000 else 500 if n < 10000 else 1000
    return max(step, round(n / step) * step)


def _polish_words(n: int) -> str:
    # Polish plurals: 1 słowo; 2–4 (but not 12–14) słowa; everything else słów.
    if n == 1:
        noun = "słowo"
    elif n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        noun = "słowa"
    else:
        noun = "słów"
    # Polish groups thousands with a (non-breaking) space from five digits on: 1000, 12 000.
    digits = f"{n:,}".replace(",", "\u00a0") if n >= 10000 else str(n)
    return f"około {digits} {noun}"


def front_matter(language: str, *, author: str, words: int, engine: str) -> FrontMatter:
    lang = language if language in _ENGINES else "en"
    engines = _ENGINES[lang]
    engine_line = engines.get(engine) or engines[""]
    rounded = approx_words(words)
    if lang == "pl":
        return FrontMatter(byline=author, words=_polish_words(rounded), engine=engine_line)
    return FrontMatter(byline=f"by {author}", words=f"about {rounded:,} words", engine=engine_line)
