"""Import a manuscript into a project (issue 16 §5): one new narrative, version 1, labelled "imported".

The file is read and judged first (``narratives.manuscript``); only a
manuscript that parsed into chapters is written, in one transaction with the
project's totals. An import uses no model, costs nothing and does not count
as a generation (README, Billing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from narraforge.choices import Genre
from narraforge.errors import UserFacingError
from narraforge.textclean import strip_control_chars
from narratives.chapters import append_chapters
from narratives.edit_services import narrative_word_count
from narratives.import_plan import imported_metadata
from narratives.manuscript import Manuscript, read_manuscript
from narratives.models import Narrative
from narratives.services import narrative_search_enqueue_lemmatise
from projects.models import Project
from projects.selectors import world_for_project

if TYPE_CHECKING:
    from accounts.models import User

TITLE_MAX = 500


def narrative_import(
    *,
    user: User,
    project: Project,
    filename: str,
    data: bytes,
    title: str = "",
    genre: str = "",
) -> tuple[Narrative, Manuscript]:
    """The imported narrative and what was read (its ``notes`` are for the writer).

    Raises UserFacingError (field "file", "title", "genre" or "project") and writes nothing
    for a file that is not text or DOCX, too big, empty, or without text.
    """
    if project.user_id != user.pk:
        raise UserFacingError("That project does not exist or is not yours.", field="project")
    genre = genre or project.default_genre or Genre.DRAMA
    if genre not in Genre.values:
        raise UserFacingError("Choose a genre from the list.", field="genre")
    title = " ".join(strip_control_chars(title or "", multiline=False).split())
    if len(title) > TITLE_MAX:
        raise UserFacingError(f"A title can be at most {TITLE_MAX} characters.", field="title")
    manuscript = read_manuscript(data, filename)
    title = title or manuscript.title or _title_from_filename(filename)
    chapters = [(c.title, c.body) for c in manuscript.chapters]
    text = append_chapters("", chapters)
    metadata = imported_metadata(
        title=title,
        chapters=chapters,
        genre=genre,
        filename=filename.rsplit("/", 1)[-1][:200],
        kind=manuscript.kind,
        project_world=world_for_project(project),
    )
    word_count = narrative_word_count(text)
    with transaction.atomic():
        narrative = Narrative.objects.create(
            user=user,
            project=project,
            job=None,
            title=title[:TITLE_MAX] or None,
            production_type=metadata["brief"]["production_type"],
            genre=genre,
            narrative_text=text,
            word_count=word_count,
            metadata=metadata,
            quality_metrics=None,
            overall_quality_score=None,
            generation_cost_usd=0.0,
            tokens_used=0,
            version=1,
            parent_narrative=None,
        )
        Project.objects.filter(pk=project.pk).update(
            narrative_count=Coalesce(F("narrative_count"), 0) + 1,
            total_word_count=Coalesce(F("total_word_count"), Value(0)) + word_count,
        )
        if metadata["language"] == "pl":
            narrative_search_enqueue_lemmatise(narrative_id=narrative.pk)
    return narrative, manuscript


def _title_from_filename(filename: str) -> str:
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return " ".join(stem.replace("_", " ").replace("-", " ").split())[:TITLE_MAX] or "Imported manuscript"
