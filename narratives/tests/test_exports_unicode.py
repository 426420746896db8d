"""Exports survive any text a row can hold, and speak the narrative's language.

Legacy rows may already hold control characters (stored before inputs were
cleaned); the exports must still answer, in every format, and keep emoji.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from narratives.exports import FORMATS, export_narrative
from narratives.tests.conftest import SAMPLE_CHAPTERS

pytestmark = pytest.mark.django_db

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NASTY_TITLE = "Salt\x01 and \x1b[31mFire\x1b[0m \x7f\x85🐉"
EMOJI_TITLE = "Smok 🐉 i ogień 🔥"


def _text_of(fmt: str, data: bytes) -> str:
    """What a reader of the file sees, as text."""
    if fmt in ("txt", "md"):
        return data.decode("utf-8")
    if fmt == "epub":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(
                z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xhtml", ".opf", ".ncx"))
            )
    if fmt == "docx":
        import docx

        doc = docx.Document(io.BytesIO(data))
        header = " ".join(p.text for p in doc.sections[0].header.paragraphs)
        return "\n".join([header, doc.core_properties.title or "", *(p.text for p in doc.paragraphs)])
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join([reader.metadata.title or "", *(page.extract_text() for page in reader.pages)])


@pytest.fixture
def legacy(owner, make_narrative):
    """A row written before inputs were cleaned: control characters in title, author and text."""
    owner.full_name = "Olive\x02 Owner\x1b"
    owner.save()
    chapters = [
        ("The\x01 Salt Road\x1b", ["Mara\x06 left\x0b the harbour\x1b[1m before dawn.\x07", "She sang 🎶."]),
        ("Homecoming\x7f", ["The gate was open.\x08"]),
    ]
    return make_narrative(owner, title=NASTY_TITLE, chapters=chapters)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_legacy_row_with_control_characters_exports_in_every_format(legacy, fmt):
    data, filename, _ = export_narrative(legacy, fmt)
    text = _text_of(fmt, data)
    assert not CONTROL.search(text.replace("\n", "").replace("\t", "").replace("\r", "")), repr(text[:300])
    assert "Salt and Fire" in text
    assert "Mara left the harbour before dawn." in re.sub(r"\s+", " ", text)
    assert "[31m" not in text and "[1m" not in text
    assert filename == f"salt-and-fire.{FORMATS[fmt].extension}"


def test_a_legacy_row_downloads_through_the_reader_in_every_format(legacy, owner_client):
    for fmt in FORMATS:
        response = owner_client.get(f"/narratives/{legacy.pk}/download/{fmt}/")
        assert response.status_code in (200, 302, 202), (fmt, response.status_code)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_emoji_in_the_title_and_text_survive_every_format(owner, make_narrative, fmt):
    chapters = [("Ogień 🔥", ["Smok 🐉 spał. 👩‍🚀 patrzyła ✨.", "Koniec ❤️."]), *SAMPLE_CHAPTERS[1:]]
    n = make_narrative(owner, title=EMOJI_TITLE, chapters=chapters, language="pl")
    data, _, _ = export_narrative(n, fmt)
    text = _text_of(fmt, data)
    for symbol in ("🐉", "🔥", "✨", "👩"):
        assert symbol in text, (fmt, symbol)
    if fmt == "pdf":
        from pypdf import PdfReader

        first_page = PdfReader(io.BytesIO(data)).pages[0].extract_text()
        assert "Smok 🐉 i ogień 🔥" in first_page


def test_the_pdf_embeds_an_emoji_font_beside_the_text_font(owner, make_narrative):
    from pypdf import PdfReader

    n = make_narrative(owner, title=EMOJI_TITLE)
    reader = PdfReader(io.BytesIO(export_narrative(n, "pdf")[0]))
    fonts = {
        str(font["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert any("DejaVuSerif" in f for f in fonts), fonts
    assert any("NotoEmoji" in f for f in fonts), fonts


# --- front matter in the narrative's language ---------------------------------------


@pytest.fixture
def polish(owner, make_narrative):
    return make_narrative(owner, title="Przewoźniczka", language="pl", word_count=37_212)


@pytest.fixture
def english(owner, make_narrative):
    return make_narrative(owner, title="The Ferrywoman", language="en", word_count=37_212)


ENGLISH_WORDS = ("by Olive", "about 37,000 words", "Written by")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_polish_narratives_front_matter_is_polish_in_every_format(polish, fmt):
    text = _text_of(fmt, export_narrative(polish, fmt)[0])
    for english_words in ENGLISH_WORDS:
        assert english_words not in text, (fmt, english_words)
    assert "Olive Owner" in text
    assert "silnik offline NarraForge" in re.sub(r"\s+", " ", text), fmt
    if fmt in ("txt", "md", "docx"):
        assert "około 37 000 słów" in text.replace("\u00a0", " "), fmt


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_an_english_narratives_front_matter_is_english_and_names_the_engine(english, fmt):
    text = re.sub(r"\s+", " ", _text_of(fmt, export_narrative(english, fmt)[0]))
    assert "Olive Owner" in text
    assert "NarraForge offline engine" in text, fmt
    if fmt in ("txt", "md", "docx"):
        assert "about 37,000 words" in text, fmt


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_model_written_narrative_says_so_in_every_format(owner, make_narrative, fmt):
    from narratives.tests.conftest import sample_metadata

    meta = {**sample_metadata("en"), "engine": "openai"}
    n = make_narrative(owner, title="Model Made", metadata=meta)
    text = re.sub(r"\s+", " ", _text_of(fmt, export_narrative(n, fmt)[0]))
    assert "language model" in text, fmt
    assert "offline engine" not in text


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (37_212, "około 37\u00a0000 słów"),
        (1_000, "około 1000 słów"),
        (150, "około 200 słów"),
        (12_345, "około 12\u00a0000 słów"),
    ],
)
def test_polish_word_counts_use_polish_numbers_and_plurals(words, expected):
    from narratives.exports.frontmatter import front_matter

    assert front_matter("pl", author="A", words=words, engine="offline").words == expected


def test_an_unknown_language_falls_back_to_english():
    from narratives.exports.frontmatter import front_matter

    assert front_matter("xx", author="A", words=5_000, engine="offline").byline == "by A"


TORTURE = (
    "Ünïcödé: e\u0301 \u202eRTL\u202c \u200f שלום مرحبا 中文 日本語 한국어 \u0e01\u0e33 \ufeffBOM \u200bZW "
    "\ufdd0 \U0010ffff \ue000 \U0001f3f3\ufe0f\u200d\U0001f308 \U0001f468\U0001f3fd\u200d\U0001f4bb "
    "\U0001faf8 \u2028line\u2029para 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \x85 \ud7ff \U00020000"
)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_any_unicode_in_title_author_and_text_exports_in_every_format(owner, make_narrative, fmt):
    owner.full_name = TORTURE[:60]
    owner.save()
    n = make_narrative(owner, title=TORTURE, chapters=[(TORTURE[:40], [TORTURE, "Plain end."])])
    data, filename, _ = export_narrative(n, fmt)
    assert data and filename.endswith(f".{FORMATS[fmt].extension}")
    assert "Plain end." in re.sub(r"\s+", " ", _text_of(fmt, data))


def test_a_polish_narratives_metadata_names_genre_and_type_in_polish(polish):
    import docx
    from pypdf import PdfReader

    meta = docx.Document(io.BytesIO(export_narrative(polish, "docx")[0])).core_properties
    assert meta.subject == "Opowiadanie (fantasy)" and meta.language == "pl"
    assert (
        PdfReader(io.BytesIO(export_narrative(polish, "pdf")[0])).metadata.subject == "Opowiadanie (fantasy)"
    )
    opf = _text_of("epub", export_narrative(polish, "epub")[0])
    assert "<dc:type>Opowiadanie</dc:type>" in opf


def test_an_english_narratives_metadata_keeps_the_english_names(english):
    import docx

    meta = docx.Document(io.BytesIO(export_narrative(english, "docx")[0])).core_properties
    assert meta.subject == "Fantasy short story"
