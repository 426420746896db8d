"""Export formats: each turns a narrative into the bytes of one file.

``export_narrative(narrative, fmt)`` is what views and the management command
call; ``FORMATS`` says which formats exist, their extension and content type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from narratives.exports.base import Book, book_from_narrative, export_filename


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    extension: str
    content_type: str
    render: Callable[[Book], bytes]


def _lazy(module: str, func: str) -> Callable[[Book], bytes]:
    # Import the heavy libraries (lxml, fpdf, ebooklib) only when that format is used.
    def render(book: Book) -> bytes:
        from importlib import import_module

        return getattr(import_module(f"narratives.exports.{module}"), func)(book)

    return render


FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("txt", "Plain text", "txt", "text/plain; charset=utf-8", _lazy("text", "render_txt")),
        ExportFormat(
            "md", "Markdown", "md", "text/markdown; charset=utf-8", _lazy("text", "render_markdown")
        ),
        ExportFormat("epub", "EPUB 3", "epub", "application/epub+zip", _lazy("epub", "render_epub")),
        ExportFormat(
            "docx",
            "Word (manuscript)",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _lazy("docx", "render_docx"),
        ),
        ExportFormat("pdf", "PDF", "pdf", "application/pdf", _lazy("pdf", "render_pdf")),
    )
}


class UnknownFormat(ValueError):
    pass


def get_format(fmt: str) -> ExportFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise UnknownFormat(f"Unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}.")


def export_narrative(narrative, fmt: str) -> tuple[bytes, str, ExportFormat]:
    """The file's bytes, its download name and its format."""
    spec = get_format(fmt)
    book = book_from_narrative(narrative)
    return spec.render(book), export_filename(book.title, spec.extension), spec


__all__ = ["FORMATS", "ExportFormat", "UnknownFormat", "export_narrative", "export_filename", "get_format"]
