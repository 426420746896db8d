"""``run_scoped`` (chapter jobs) with the offline engine, framework-free."""

from __future__ import annotations

import functools

import pytest

from jobs.pipeline import (
    Brief,
    Callbacks,
    PipelineCancelled,
    PipelineError,
    Scope,
    chapters_from_text,
    get_backend,
    run_pipeline,
    run_scoped,
)
from jobs.pipeline.text import sentences


@functools.cache
def _book():
    brief = Brief(
        production_type="short_story",
        genre="fantasy",
        inspiration="A lighthouse keeper called Mira Vell finds a map drawn on the inside of a storm.",
        target_words=5000,
    )
    return brief, run_pipeline(brief, backend=get_backend("offline"))


def _scoped(scope: Scope, **kw):
    brief, book = _book()
    chapters = chapters_from_text(book.text)
    return chapters, run_scoped(
        brief,
        backend=get_backend("offline"),
        plan=book.plan,
        chapters=chapters,
        scope=scope,
        parent_metadata=book.metadata,
        **kw,
    )


def test_a_regenerated_chapter_is_new_prose_that_repeats_none_of_its_neighbours_sentences():
    chapters, result = _scoped(Scope("regenerate", (2,), variant=2))
    assert [c["number"] for c in result.changes] == [2] and not result.changes[0]["added"]
    new = result.changes[0]["body"]
    assert new != chapters[1].body and len(new.split()) > 0.8 * len(chapters[1].body.split())
    neighbours = set(sentences(chapters[0].body)) | set(sentences(chapters[2].body))
    assert not [s for s in sentences(new) if len(s.split()) >= 5 and s in neighbours]
    assert result.metadata["revision"]["chapters"] == [2]
    assert [c.body for c in chapters_from_text(result.text)][::2] == [c.body for c in chapters][::2]


def test_the_same_scope_and_variant_give_the_same_chapter_and_another_variant_another():
    _, one = _scoped(Scope("regenerate", (1,), variant=2))
    _, again = _scoped(Scope("regenerate", (1,), variant=2))
    _, other = _scoped(Scope("regenerate", (1,), variant=3))
    assert one.changes == again.changes and one.changes != other.changes


def test_a_cancelled_chapter_job_resumes_from_its_checkpoint_without_redoing_written_chapters():
    saved = []

    def cancel_after_first_chapter() -> bool:
        return len([c for c in saved if len(c.get("drafts") or []) >= 1]) > 0

    with pytest.raises(PipelineCancelled) as stopped:
        _scoped(
            Scope("revise", (1, 3), instructions="More dialogue.", variant=2),
            callbacks=Callbacks(on_checkpoint=saved.append, should_cancel=cancel_after_first_chapter),
        )
    checkpoint = stopped.value.checkpoint
    assert len(checkpoint["drafts"]) == 1
    resumed_calls = []
    _, result = _scoped(
        Scope("revise", (1, 3), instructions="More dialogue.", variant=2),
        checkpoint=checkpoint,
        callbacks=Callbacks(on_model_call=resumed_calls.append),
    )
    _, straight = _scoped(Scope("revise", (1, 3), instructions="More dialogue.", variant=2))
    assert result.changes == straight.changes
    drafted = [c for c in resumed_calls if c.stage == "sequential_generation"]
    assert {c.segment for c in drafted} == {3}, "chapter 1 was not drafted again"


def test_continuing_plans_new_chapters_with_distinct_titles_after_the_last():
    chapters, result = _scoped(Scope("continue", add=3, variant=2))
    titles = [c.title for c in chapters_from_text(result.text)]
    assert len(titles) == len(chapters) + 3 and len(set(titles)) == len(titles)
    assert [c["number"] for c in result.changes] == [len(chapters) + i for i in (1, 2, 3)]
    assert all(c["added"] for c in result.changes)


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (Scope("regenerate", (0,)), "Chapter 0 does not exist"),
        (Scope("regenerate", (9,)), "Chapter 9 does not exist"),
        (Scope("regenerate", ()), "Choose at least one chapter"),
        (Scope("continue", add=0), "adds 1 to 20"),
        (Scope("continue", add=21), "adds 1 to 20"),
        (Scope("revise", (1,), instructions=" "), "Say what the revision should change"),
    ],
)
def test_a_scope_that_does_not_fit_the_narrative_is_refused(scope, message):
    with pytest.raises(PipelineError, match=message):
        _scoped(scope)
