"""Every export parsed back and compared with the narrative's chapters and text."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command

from narratives.exports import FORMATS, export_filename, export_narrative
from narratives.exports.text import md_unescape
from narratives.tests.conftest import GERMAN, POLISH, SAMPLE_CHAPTERS

pytestmark = pytest.mark.django_db


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _expected_paragraphs():
    return [p for _, paras in SAMPLE_CHAPTERS for p in paras]


def test_txt_holds_title_chapters_and_every_paragraph(narrative):
    data, filename, spec = export_narrative(narrative, "txt")
    text = data.decode("utf-8")
    assert filename == "the-salt-road.txt" and spec.content_type.startswith("text/plain")
    assert text.startswith("The Salt Road\n")
    for title, paras in SAMPLE_CHAPTERS:
        assert f"\n{title}\n" in text
        for p in paras:
            assert p in text
    assert POLISH in text and GERMAN in text


def test_markdown_chapters_are_headings_and_text_round_trips(narrative):
    data, _, _ = export_narrative(narrative, "md")
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == "# The Salt Road"
    assert [ln[3:] for ln in lines if ln.startswith("## ")] == [t for t, _ in SAMPLE_CHAPTERS]
    story = lines[next(i for i, ln in enumerate(lines) if ln.startswith("## ")) :]  # after the front matter
    body = [md_unescape(ln) for ln in story if ln and not ln.startswith("#")]
    assert body == _expected_paragraphs()
    # Raw HTML in prose is escaped, never live Markdown/HTML.
    assert "\\<old\\>" in data.decode("utf-8")


def test_epub_has_chapters_toc_language_and_metadata(owner, make_narrative, tmp_path):
    from ebooklib import ITEM_DOCUMENT, epub
    from lxml import html as lxml_html

    n = make_narrative(owner, title="Zażółć — Straße", language="pl")
    data, filename, _ = export_narrative(n, "epub")
    assert filename == "zazolc-strasse.epub"
    assert zipfile.ZipFile(io.BytesIO(data)).read("mimetype") == b"application/epub+zip"
    path = tmp_path / filename
    path.write_bytes(data)
    book = epub.read_epub(str(path))
    assert book.get_metadata("DC", "title")[0][0] == "Zażółć — Straße"
    assert book.get_metadata("DC", "language")[0][0] == "pl"
    assert book.get_metadata("DC", "creator")[0][0] == "Olive Owner"
    assert book.get_metadata("DC", "subject")[0][0] == "Fantasy"
    assert [link.title for link in book.toc] == [t for t, _ in SAMPLE_CHAPTERS]
    chapters = [i for i in book.get_items_of_type(ITEM_DOCUMENT) if i.file_name.startswith("chapter-")]
    assert len(chapters) == len(SAMPLE_CHAPTERS)
    chapters.sort(key=lambda i: i.file_name)
    for item, (title, paras) in zip(chapters, SAMPLE_CHAPTERS, strict=True):
        tree = lxml_html.fromstring(item.get_content())
        assert tree.xpath("string(//h2)") == title
        assert [p.text_content() for p in tree.xpath("//p")] == paras
    # The spine reads title page, contents, then the chapters in order.
    assert len(book.spine) == 2 + len(SAMPLE_CHAPTERS)


def test_docx_is_a_manuscript_with_title_page_chapter_breaks_and_text(narrative):
    import docx

    data, filename, _ = export_narrative(narrative, "docx")
    assert filename.endswith(".docx")
    doc = docx.Document(io.BytesIO(data))
    assert doc.core_properties.title == "The Salt Road"
    assert doc.core_properties.author == "Olive Owner"
    paras = doc.paragraphs
    assert "THE SALT ROAD" in [p.text for p in paras[:5]]
    assert paras[0].text.startswith("Olive Owner\tabout")
    headings = [p for p in paras if p.style.name == "Heading 1"]
    assert [h.text for h in headings] == [t for t, _ in SAMPLE_CHAPTERS]
    assert doc.styles["Heading 1"].paragraph_format.page_break_before is True
    assert doc.styles["Normal"].font.name == "Times New Roman"
    body = [p.text for p in paras if p.style.name == "Normal"]
    for p in _expected_paragraphs():
        assert p in body
    # Paragraphs are inserted before the section properties, which stay the body's last element.
    assert doc.element.body[-1].tag.endswith("}sectPr")
    assert [t for t in body if t in _expected_paragraphs()] == _expected_paragraphs()
    # Running header with a PAGE field from page two on.
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    assert "OLIVE" not in section.header.paragraphs[0].text  # surname only
    assert "Owner / THE SALT ROAD /" in section.header.paragraphs[0].text
    assert "PAGE" in section.header._element.xml


def test_pdf_text_extracts_with_polish_and_german_letters_chapters_and_page_numbers(narrative):
    from pypdf import PdfReader

    data, filename, _ = export_narrative(narrative, "pdf")
    assert data.startswith(b"%PDF") and filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "The Salt Road"
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 1 + len(SAMPLE_CHAPTERS)  # title page + one page per (short) chapter
    assert "The Salt Road" in pages[0]
    everything = _norm(" ".join(pages))
    for title, paras in SAMPLE_CHAPTERS:
        assert title in everything
        for p in paras:
            assert _norm(p) in everything, p
    for letter in "ąęłńóśźżĄĘŁŃÓŚŹŻß":
        if letter in POLISH + GERMAN:
            assert letter in everything
    # Page numbers in the footer of every page but the title page; an outline entry per chapter.
    for number, page in enumerate(pages[1:], start=2):
        assert page.strip().endswith(str(number))
    assert [item["/Title"] for item in reader.outline] == [t for t, _ in SAMPLE_CHAPTERS]


def test_every_format_is_registered_with_a_content_type():
    assert set(FORMATS) == {"txt", "md", "epub", "docx", "pdf"}


def test_untitled_text_before_first_heading_is_kept(owner, make_narrative):
    n = make_narrative(owner, text="Just one paragraph, no heading.\n\nAnd a second.")
    data, _, _ = export_narrative(n, "txt")
    assert "Just one paragraph, no heading." in data.decode()
    assert "And a second." in data.decode()


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Salt Road", "the-salt-road.md"),
        ("Łódź — Straße!", "lodz-strasse.md"),
        ("", "narrative.md"),
        ('"; rm -rf /', "rm-rf.md"),
        ("日本語", "narrative.md"),
    ],
)
def test_export_filename_is_an_ascii_slug(title, expected):
    assert export_filename(title, "md") == expected


def test_command_writes_the_file_and_reports_clear_errors(narrative, tmp_path):
    out = tmp_path / "book.epub"
    call_command("export_narrative", narrative.pk, "--format", "epub", "--out", str(out))
    assert zipfile.ZipFile(out).read("mimetype") == b"application/epub+zip"
    call_command("export_narrative", narrative.pk, "--format", "markdown", "--out", str(tmp_path))
    assert (tmp_path / "the-salt-road.md").read_text().startswith("# The Salt Road")
    with pytest.raises(CommandError, match="No narrative with id 'nope'"):
        call_command("export_narrative", "nope", "--format", "epub", "--out", str(out))
    with pytest.raises(CommandError, match="Unknown format 'rtf'"):
        call_command("export_narrative", narrative.pk, "--format", "rtf", "--out", str(out))
    narrative.refresh_from_db()
    assert narrative.download_count == 0  # terminal exports count only with --count
    call_command("export_narrative", narrative.pk, "-f", "txt", "-o", str(tmp_path / "x.txt"), "--count")
    narrative.refresh_from_db()
    assert (narrative.download_count, narrative.exported_formats) == (1, ["txt"])
