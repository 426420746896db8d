"""PDF export with fpdf2 and the bundled DejaVu Serif font (covers ąęłńóśźż, ß and more).

Glyphs DejaVu lacks (emoji) come from the bundled monochrome Noto Emoji as a
fallback font, so an emoji in a title or the text is printed, not dropped.
Scripts neither font covers (CJK, Arabic) still come out as empty boxes: the
engine writes English and Polish, and the PDF never fails over them.

A title page, every chapter on a new page with an outline entry (the PDF's
table of contents in a reader's sidebar) and page numbers in the footer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from narratives.exports.base import Book

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FAMILY = "DejaVuSerif"
EMOJI = "NotoEmoji"  # narratives/fonts/NotoEmoji-Variable.ttf, OFL (LICENSE-NotoEmoji.txt)
A5 = (148, 210)  # mm

# fontTools logs every subsetting step at INFO; that is noise in a web log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


class _BookPDF(FPDF):
    def __init__(self, book: Book):
        super().__init__(orientation="P", unit="mm", format=A5)
        self.book = book
        self.add_font(FAMILY, "", FONT_DIR / "DejaVuSerif.ttf")
        self.add_font(FAMILY, "B", FONT_DIR / "DejaVuSerif-Bold.ttf")
        self.add_font(FAMILY, "I", FONT_DIR / "DejaVuSerif-Italic.ttf")
        # A variable font whose default outlines are the regular weight; those are what a
        # PDF shows. (Asking fpdf2 for an instance via `variations` costs seconds per export.)
        self.add_font(EMOJI, "", FONT_DIR / "NotoEmoji-Variable.ttf")
        self.set_fallback_fonts([EMOJI], exact_match=False)
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_title(book.title)
        self.set_author(book.author)
        self.set_subject(book.subject)
        self.set_creator("NarraForge")
        self.set_lang(book.language)

    def footer(self):
        if self.page_no() == 1:
            return
        self.set_y(-14)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 6, str(self.page_no()), align="C")


def render_pdf(book: Book) -> bytes:
    pdf = _BookPDF(book)
    pdf.add_page()
    pdf.set_y(70)
    pdf.set_font(FAMILY, "B", 20)
    pdf.multi_cell(0, 10, book.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font(FAMILY, "I", 12)
    pdf.multi_cell(0, 7, book.author, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(-50)
    pdf.set_font(FAMILY, "", 8)
    pdf.multi_cell(0, 5, book.front.engine, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line_height = 5.2
    indent = "\u2003"  # an em space opens every paragraph but a chapter's first
    for number, (heading, paras) in enumerate(book.chapter_paragraphs, start=1):
        pdf.add_page()
        heading = heading or str(number)
        pdf.start_section(heading, level=0)
        pdf.set_y(40)
        pdf.set_font(FAMILY, "B", 14)
        pdf.multi_cell(0, 8, heading, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(6)
        pdf.set_font(FAMILY, "", 10)
        for i, para in enumerate(paras):
            pdf.multi_cell(
                0,
                line_height,
                para if i == 0 else indent + para,
                align="J",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
    return bytes(pdf.output())
