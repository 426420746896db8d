"""Reading an uploaded manuscript (.txt, .md, .docx) into a title and chapters (issue 16 §5).

Files are judged by their content, not their name: a DOCX is a ZIP holding
``word/document.xml``; text is UTF-8 (or UTF-16 with a byte-order mark)
without NUL bytes or a run of control characters. Anything else is refused
with a message saying what the file looks like. Chapters come from headings:
Markdown ``#``/``##`` lines, "Chapter N" / "Rozdział N" lines (digits, Roman
numerals or number words), and DOCX Heading/Title paragraph styles. A single
top-level heading above second-level ones is the book's title.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from narraforge.errors import UserFacingError
from narraforge.textclean import strip_control_chars
from narratives.text import paragraphs

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 5 MB: a 300,000-word novel as text, with room for DOCX overhead
MAX_UPLOAD_LABEL = "5 MB"
EXTENSIONS = (".txt", ".md", ".markdown", ".docx")
# A DOCX expands when unzipped; more than this of XML is not a manuscript (or is a zip bomb).
_MAX_DOCX_XML_BYTES = 60 * 1024 * 1024
_MAX_CHAPTERS = 1000

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    "pierwszy|drugi|trzeci|czwarty|piąty|szósty|siódmy|ósmy|dziewiąty|dziesiąty"
)
# "Chapter 3", "CHAPTER XII: The Well", "Rozdział 2 — Studnia", "Chapter One. Night".
_CHAPTER_LINE = re.compile(
    r"^\s*(?:chapter|rozdział|rozdzial)\s+"
    rf"(?:\d{{1,4}}|[ivxlcdm]{{1,8}}|(?:{_NUMBER_WORDS})(?:[- ](?:{_NUMBER_WORDS}))?)"
    r"\b\s*(?:[.:\-–—]\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^(#{1,2})\s+(.+?)\s*#*\s*$")


@dataclass
class ImportedChapter:
    title: str
    body: str


@dataclass
class Manuscript:
    title: str
    chapters: list[ImportedChapter]
    kind: str  # "text", "markdown" or "docx"
    notes: list[str] = field(default_factory=list)  # said to the writer after the import


@dataclass
class _Block:
    text: str
    level: int = 0  # 0 body, 1 or 2 a heading level, 3 a "Chapter N" line, 4 a DOCX Title paragraph


def _refuse(message: str) -> UserFacingError:
    return UserFacingError(message, field="file")


def sniff(data: bytes, filename: str) -> str:
    """What the upload is, by content: "docx" or "text". Raises UserFacingError otherwise."""
    name = (filename or "").lower()
    if not name.endswith(EXTENSIONS):
        raise _refuse("Upload a .txt, .md or .docx file.")
    if not data.strip():
        raise _refuse("This file is empty.")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        raise _refuse("This file is a ZIP archive but not a Word document (.docx).")
    if name.endswith(".docx"):
        raise _refuse("This file is named .docx but is not a Word document. Save it again as .docx.")
    if data.startswith(b"%PDF"):
        raise _refuse("This is a PDF. Export the manuscript as .docx, .txt or .md and upload that.")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse("This is an old Word (.doc) file. Save it as .docx and upload that.")
    if data.startswith(b"{\\rtf"):
        raise _refuse("This is an RTF file. Save it as .docx or plain text and upload that.")
    return "text"


def decode_text(data: bytes) -> str:
    """Text bytes as a string: UTF-8 (BOM allowed) or UTF-16 with a BOM; refuses binary content."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _refuse("This file says it is UTF-16 text but is not.") from None
    else:
        if b"\x00" in data:
            raise _refuse("This file is not text (it holds binary data). Upload .txt, .md or .docx.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _refuse(
                "This file is not UTF-8 text. Save it as UTF-8 (most editors offer it under "
                "“Save as” → encoding) or as .docx, and upload it again."
            ) from None
    controls = sum(1 for ch in text[:200_000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:200_000]) // 200):
        raise _refuse("This file is not text (it is full of control characters). Upload .txt, .md or .docx.")
    return strip_control_chars(text)


def _text_blocks(text: str) -> list[_Block]:
    """Lines grouped into paragraphs, heading lines on their own."""
    blocks: list[_Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(_Block("\n".join(current)))
            current.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        heading = _MD_HEADING.match(line)
        if heading:
            flush()
            blocks.append(_Block(heading.group(2).strip(), len(heading.group(1))))
        elif _CHAPTER_LINE.match(line) and len(line) <= 120:
            flush()
            blocks.append(_Block(line, 3))
        elif not line:
            flush()
        else:
            current.append(line)
    flush()
    return blocks


def _docx_blocks(data: bytes) -> list[_Block]:
    import docx  # python-docx is heavy; only an import of a .docx needs it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_DOCX_XML_BYTES:
                raise _refuse("This Word document unpacks to far more than a manuscript; it was not read.")
        document = docx.Document(io.BytesIO(data))
    except UserFacingError:
        raise
    except Exception:  # python-docx raises many types for a damaged file
        raise _refuse("This Word document could not be read (it may be damaged). Save it again and retry.")
    blocks: list[_Block] = []
    for para in document.paragraphs:
        text = strip_control_chars(para.text or "").strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        match = re.match(r"(?i)heading\s*(\d)", style)
        if style.lower() == "title":
            blocks.append(_Block(text, 4))
        elif match and int(match.group(1)) <= 2:
            blocks.append(_Block(text, int(match.group(1))))
        elif _CHAPTER_LINE.match(text) and len(text) <= 120:
            blocks.append(_Block(text, 3))
        else:
            blocks.append(_Block(text))
    return blocks


def _chapter_title(block: _Block) -> str:
    # "Chapter 3: The Well" is kept whole: the writer's heading, as written.
    return " ".join(block.text.split())


def _assemble(blocks: list[_Block], *, fallback_title: str, kind: str) -> Manuscript:
    notes: list[str] = []
    title = ""
    titled = next((i for i, b in enumerate(blocks) if b.level == 4), None)
    if titled is not None:  # Word's Title style names the book
        title = _chapter_title(blocks[titled])
        blocks = [b for i, b in enumerate(blocks) if i != titled]
        blocks = [b if b.level != 4 else _Block(b.text, 1) for b in blocks]
    levels = [b.level for b in blocks if b.level]
    first_heading = next((i for i, b in enumerate(blocks) if b.level), None)
    # One top-level heading above second-level ones is the book's title, not a chapter.
    if (
        not title
        and levels.count(1) == 1
        and 2 in levels
        and first_heading is not None
        and blocks[first_heading].level == 1
    ):
        title = _chapter_title(blocks[first_heading])
        blocks = blocks[:first_heading] + blocks[first_heading + 1 :]
        chapter_levels = {2, 3}
    else:
        chapter_levels = {1, 2, 3}
    chapters: list[ImportedChapter] = []
    preamble: list[str] = []
    current: ImportedChapter | None = None
    bodies: list[list[str]] = []
    for block in blocks:
        if block.level in chapter_levels:
            current = ImportedChapter(_chapter_title(block)[:300], "")
            chapters.append(current)
            bodies.append([])
        elif current is None:
            preamble.append(block.text)
        else:
            bodies[-1].append(block.text)
    for chapter, parts in zip(chapters, bodies, strict=True):
        chapter.body = "\n\n".join(paragraphs("\n\n".join(parts)))
    opening = "\n\n".join(paragraphs("\n\n".join(preamble)))
    if not chapters:
        if not opening:
            raise _refuse("This file has no text to import.")
        notes.append(
            "No chapter headings were found, so the manuscript is one chapter. Add headings "
            "(“# Title”, “Chapter 1” or Word's Heading styles) to split it."
        )
        chapters = [ImportedChapter(title or fallback_title or "Chapter 1", opening)]
    elif opening:
        chapters.insert(0, ImportedChapter("Opening", opening))
        notes.append("The text before the first heading is kept as a chapter called “Opening”.")
    empty = [i for i, c in enumerate(chapters, start=1) if not c.body.strip()]
    if len(empty) == len(chapters):
        raise _refuse("This file has headings but no text under them.")
    if empty:
        notes.append(f"{len(empty)} heading(s) had no text under them; they are kept as empty chapters.")
    if len(chapters) > _MAX_CHAPTERS:
        raise _refuse(f"This file has {len(chapters):,} chapters; at most {_MAX_CHAPTERS:,} can be imported.")
    for i, chapter in enumerate(chapters, start=1):
        if not chapter.title:
            chapter.title = f"Chapter {i}"
        # A body line starting "## " would read as a chapter heading in the stored text.
        chapter.body = re.sub(r"(?m)^## ", "### ", chapter.body)
    return Manuscript(title=title, chapters=chapters, kind=kind, notes=notes)


def read_manuscript(data: bytes, filename: str) -> Manuscript:
    """The title (if the file names one) and chapters of an upload; UserFacingError for a bad file."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(f"This file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_UPLOAD_LABEL}.")
    kind = sniff(data, filename)
    stem = re.sub(r"\.[^.]+$", "", (filename or "").rsplit("/", 1)[-1]).replace("_", " ").strip()
    if kind == "docx":
        return _assemble(_docx_blocks(data), fallback_title=stem, kind="docx")
    text = decode_text(data)
    markdown = filename.lower().endswith((".md", ".markdown"))
    return _assemble(_text_blocks(text), fallback_title=stem, kind="markdown" if markdown else "text")
