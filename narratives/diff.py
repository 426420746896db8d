"""A readable diff between two versions of a narrative: by paragraph, then by word.

Paragraphs are compared first (difflib over whole paragraphs, which is fast
because a novel has a few thousand of them); only paragraphs that changed are
compared word by word. Long unchanged stretches are folded so a small edit in
a 150,000-word novel gives a small page.

The result is plain data (ops and strings); templates escape every string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

HEADING_PREFIX = "## "
# Word-level diff on a changed block costs O(n*m) at worst; past this many tokens a
# block is shown as removed-then-added paragraphs instead.
MAX_WORD_DIFF_TOKENS = 4000
# Unchanged paragraphs kept visible either side of a change.
CONTEXT = 1

_TOKEN_RE = re.compile(r"\s+|[^\W_]+(?:['’\-][^\W_]+)*|[^\w\s]|_", re.UNICODE)
_BLANK = re.compile(r"\n[ \t]*\n+")


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; a ``## `` heading line is always its own paragraph."""
    out: list[str] = []
    for block in _BLANK.split((text or "").replace("\r\n", "\n")):
        buf: list[str] = []
        for line in block.split("\n"):
            line = line.strip()
            if not line:
                continue
            if line.startswith(HEADING_PREFIX):
                if buf:
                    out.append(" ".join(buf))
                    buf = []
                out.append(line)
            else:
                buf.append(line)
        if buf:
            out.append(" ".join(buf))
    return out


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


@dataclass
class Segment:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass
class Block:
    """One row of the diff.

    kind: "equal" (unchanged paragraph), "fold" (``count`` unchanged paragraphs
    not shown), "insert"/"delete" (a whole paragraph added/removed) or
    "change" (a paragraph edited: ``segments`` say which words).
    """

    kind: str
    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    count: int = 0

    @property
    def is_heading(self) -> bool:
        return self.text.startswith(HEADING_PREFIX)

    @property
    def shown_text(self) -> str:
        """The text as the reader shows it: a chapter heading without its Markdown ``## ``."""
        return self.text[len(HEADING_PREFIX) :] if self.is_heading else self.text

    @property
    def shown_segments(self) -> list[Segment]:
        """The segments of an edited heading without the ``## `` both versions share."""
        if not (self.is_heading and self.segments and self.segments[0].op == "equal"):
            return self.segments
        first = self.segments[0]
        if not first.text.startswith(HEADING_PREFIX):
            return self.segments
        rest = first.text[len(HEADING_PREFIX) :]
        return ([Segment("equal", rest)] if rest else []) + self.segments[1:]


@dataclass
class DiffResult:
    blocks: list[Block]
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_changed: int = 0
    words_added: int = 0
    words_removed: int = 0

    @property
    def identical(self) -> bool:
        return not (self.paragraphs_added or self.paragraphs_removed or self.paragraphs_changed)


def _is_word(token: str) -> bool:
    return not token.isspace() and any(ch.isalnum() for ch in token)


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-level segments turning ``old`` into ``new`` (whitespace rides with its neighbours)."""
    a, b = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    segments: list[Segment] = []

    def emit(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1].text += text
        else:
            segments.append(Segment(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            emit("equal", "".join(a[i1:i2]))
        else:
            if i2 > i1:
                emit("delete", "".join(a[i1:i2]))
            if j2 > j1:
                emit("insert", "".join(b[j1:j2]))
    return _absorb_lone_spaces(segments)


def _absorb_lone_spaces(segments: list[Segment]) -> list[Segment]:
    """Fold an 'equal' run of pure whitespace between two changes into them: easier to read."""
    out: list[Segment] = []
    for i, seg in enumerate(segments):
        between_changes = (
            0 < i < len(segments) - 1 and segments[i - 1].op != "equal" and (segments[i + 1].op != "equal")
        )
        if seg.op == "equal" and seg.text.isspace() and between_changes:
            # Show the space as both removed and added so neither side loses it.
            out.append(Segment("delete", seg.text))
            out.append(Segment("insert", seg.text))
        else:
            out.append(seg)
    merged: list[Segment] = []
    for seg in out:
        if merged and merged[-1].op == seg.op:
            merged[-1].text += seg.text
        else:
            merged.append(seg)
    # Present deletions before insertions inside each changed run.
    result: list[Segment] = []
    run: list[Segment] = []
    for seg in merged + [Segment("equal", "")]:
        if seg.op == "equal":
            if run:
                dels = "".join(s.text for s in run if s.op == "delete")
                ins = "".join(s.text for s in run if s.op == "insert")
                if dels:
                    result.append(Segment("delete", dels))
                if ins:
                    result.append(Segment("insert", ins))
                run = []
            if seg.text:
                result.append(seg)
        else:
            run.append(seg)
    return result


def _count_words(text: str) -> int:
    return sum(1 for t in tokens(text) if _is_word(t))


def diff_texts(old: str, new: str, *, context: int = CONTEXT) -> DiffResult:
    a, b = split_paragraphs(old), split_paragraphs(new)
    # autojunk would treat frequent paragraphs (e.g. "* * *") as junk; fine either way at
    # paragraph granularity, but turning it off keeps short repeated lines aligned.
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    result = DiffResult(blocks=[])
    raw: list[Block] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            raw.extend(Block("equal", text=p) for p in a[i1:i2])
        elif tag == "delete":
            for p in a[i1:i2]:
                raw.append(Block("delete", text=p))
                result.paragraphs_removed += 1
                result.words_removed += _count_words(p)
        elif tag == "insert":
            for p in b[j1:j2]:
                raw.append(Block("insert", text=p))
                result.paragraphs_added += 1
                result.words_added += _count_words(p)
        else:
            raw.extend(_replace_blocks(a[i1:i2], b[j1:j2], result))
    result.blocks = _fold(raw, context)
    return result


def _similar(x: str, y: str) -> bool:
    return SequenceMatcher(None, x, y, autojunk=False).quick_ratio() >= 0.5


def _replace_blocks(old: list[str], new: list[str], result: DiffResult) -> list[Block]:
    """Pair edited paragraphs for a word diff; whatever does not pair is removed/added."""
    blocks: list[Block] = []
    i = j = 0
    while i < len(old) or j < len(new):
        if i < len(old) and j < len(new) and _similar(old[i], new[j]):
            x, y = old[i], new[j]
            if len(x) + len(y) <= MAX_WORD_DIFF_TOKENS * 6:
                segs = word_diff(x, y)
            else:
                segs = [Segment("delete", x), Segment("insert", y)]
            blocks.append(Block("change", text=y, segments=segs))
            result.paragraphs_changed += 1
            result.words_removed += sum(_count_words(s.text) for s in segs if s.op == "delete")
            result.words_added += sum(_count_words(s.text) for s in segs if s.op == "insert")
            i += 1
            j += 1
        elif i < len(old) and (j >= len(new) or len(old) - i >= len(new) - j):
            blocks.append(Block("delete", text=old[i]))
            result.paragraphs_removed += 1
            result.words_removed += _count_words(old[i])
            i += 1
        else:
            blocks.append(Block("insert", text=new[j]))
            result.paragraphs_added += 1
            result.words_added += _count_words(new[j])
            j += 1
    return blocks


def _fold(blocks: list[Block], context: int) -> list[Block]:
    """Replace long unchanged runs by a fold, keeping ``context`` paragraphs around changes
    (and any chapter heading, so the reader knows where a change is)."""
    out: list[Block] = []
    n = len(blocks)
    i = 0
    while i < n:
        if blocks[i].kind != "equal":
            out.append(blocks[i])
            i += 1
            continue
        j = i
        while j < n and blocks[j].kind == "equal":
            j += 1
        run = blocks[i:j]
        keep_head = context if i > 0 else 0
        keep_tail = context if j < n else 0
        if len(run) <= keep_head + keep_tail + 1:
            out.extend(run)
        else:
            out.extend(run[:keep_head])
            hidden = run[keep_head : len(run) - keep_tail]
            # The last heading inside the fold is kept: it names the chapter of the next change.
            heading = next((b for b in reversed(hidden) if b.is_heading), None)
            if heading is not None and keep_tail:
                idx = hidden.index(heading)
                if idx:
                    out.append(Block("fold", count=idx))
                out.append(heading)
                rest = len(hidden) - idx - 1
                if rest:
                    out.append(Block("fold", count=rest))
            else:
                out.append(Block("fold", count=len(hidden)))
            out.extend(run[len(run) - keep_tail :])
        i = j
    return out
