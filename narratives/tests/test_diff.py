"""The paragraph-then-word diff: correct on edits, insertions and deletions; fast on novels."""

from __future__ import annotations

import random
import time

from narratives.diff import diff_texts, split_paragraphs, word_diff


def _rebuild(blocks, side):
    """The old (side='old') or new text of the shown paragraphs, from the diff alone."""
    out = []
    for b in blocks:
        if b.kind == "equal" or b.kind == "insert" and side == "new" or b.kind == "delete" and side == "old":
            out.append(b.text)
        elif b.kind == "change":
            keep = "insert" if side == "new" else "delete"
            out.append("".join(s.text for s in b.segments if s.op in ("equal", keep)))
    return out


def test_word_edit_inside_a_paragraph():
    segs = word_diff("The quick brown fox jumps.", "The slow brown fox leaps high.")
    assert [(s.op, s.text) for s in segs] == [
        ("equal", "The "),
        ("delete", "quick"),
        ("insert", "slow"),
        ("equal", " brown fox "),
        ("delete", "jumps"),
        ("insert", "leaps high"),
        ("equal", "."),
    ]


def test_word_diff_reconstructs_both_sides_with_non_ascii():
    old = "Zażółć gęślą jaźń, die Straße ist groß."
    new = "Zażółć gęślą jaźń! Die Straße ist sehr groß."
    segs = word_diff(old, new)
    assert "".join(s.text for s in segs if s.op != "insert") == old
    assert "".join(s.text for s in segs if s.op != "delete") == new
    assert ("insert", "sehr ") in [(s.op, s.text) for s in segs]


def test_paragraph_insertion_deletion_and_edit():
    old = "## One\n\nA cat sat.\n\nB dog ran.\n\nC end.\n\n## Two\n\nX.\n\nY."
    new = "## One\n\nA cat sat down.\n\nNew para here.\n\nB dog ran.\n\n## Two\n\nX.\n\nY."
    result = diff_texts(old, new, context=100)
    kinds = [(b.kind, b.text) for b in result.blocks]
    assert ("insert", "New para here.") in kinds
    assert ("delete", "C end.") in kinds
    assert ("change", "A cat sat down.") in kinds
    assert (result.paragraphs_added, result.paragraphs_removed, result.paragraphs_changed) == (1, 1, 1)
    assert (result.words_added, result.words_removed) == (4, 2)  # "down" + "New para here"; "C end"
    assert _rebuild(result.blocks, "old") == split_paragraphs(old)
    assert _rebuild(result.blocks, "new") == split_paragraphs(new)


def test_identical_texts_fold_to_nothing():
    text = "\n\n".join(f"Paragraph {i}." for i in range(50))
    result = diff_texts(text, text)
    assert result.identical
    assert [b.kind for b in result.blocks] == ["fold"]
    assert result.blocks[0].count == 50


def test_unchanged_runs_fold_but_keep_context_and_the_chapter_heading():
    paras = [f"Paragraph number {i} of the story." for i in range(40)]
    old = "## First\n\n" + "\n\n".join(paras[:20]) + "\n\n## Second\n\n" + "\n\n".join(paras[20:])
    new = old.replace("Paragraph number 30 of", "Paragraph number thirty of")
    blocks = diff_texts(old, new).blocks
    kinds = [b.kind for b in blocks]
    assert kinds.count("change") == 1
    assert any(b.kind == "equal" and b.text == "## Second" for b in blocks)  # where the change is
    assert sum(b.count for b in blocks if b.kind == "fold") + sum(1 for b in blocks if b.kind != "fold") == 42


def test_heading_line_without_blank_line_is_its_own_paragraph():
    assert split_paragraphs("## A\nText one\nstill one.\n\nTwo.") == ["## A", "Text one still one.", "Two."]


def test_long_novel_diff_stays_fast():
    rng = random.Random(7)
    vocab = [f"word{i}" for i in range(3000)] + ["the", "and", "a", "of"] * 200
    paras = [" ".join(rng.choice(vocab) for _ in range(60)) + "." for _ in range(2500)]  # 150,000 words
    old = "\n\n".join(paras)
    edited = list(paras)
    for i in range(0, 2500, 50):
        edited[i] = edited[i].replace("the", "THE", 1) + " Added sentence."
    edited.insert(1200, "A brand new paragraph.")
    del edited[2000]
    new = "\n\n".join(edited)
    started = time.perf_counter()
    result = diff_texts(old, new)
    elapsed = time.perf_counter() - started
    assert result.paragraphs_changed == 50
    assert result.paragraphs_added == 1 and result.paragraphs_removed == 1
    assert elapsed < 3.0, f"diff took {elapsed:.2f}s"
    # Folding keeps the page small: far fewer blocks than paragraphs.
    assert len(result.blocks) < 500


def test_completely_different_texts_are_fast_and_complete():
    old = "\n\n".join(f"Old paragraph {i} with words." for i in range(2000))
    new = "\n\n".join(f"Brand new text {i} entirely different here." for i in range(2000))
    started = time.perf_counter()
    result = diff_texts(old, new)
    assert time.perf_counter() - started < 5.0
    assert _rebuild(result.blocks, "new") == split_paragraphs(new)
    assert _rebuild(result.blocks, "old") == split_paragraphs(old)
