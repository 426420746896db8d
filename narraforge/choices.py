"""The seed's enum-like values, shared by several apps.

The engine (jobs.pipeline, framework-free) keeps its own tuples of the same
values; a test asserts the two agree.
"""

from django.db import models


class ProductionType(models.TextChoices):
    SHORT_STORY = "short_story", "Short story"
    NOVELLA = "novella", "Novella"
    NOVEL = "novel", "Novel"
    EPIC_SAGA = "epic_saga", "Epic saga"


class Genre(models.TextChoices):
    FANTASY = "fantasy", "Fantasy"
    SCIFI = "scifi", "Science fiction"
    HORROR = "horror", "Horror"
    THRILLER = "thriller", "Thriller"
    MYSTERY = "mystery", "Mystery"
    DRAMA = "drama", "Drama"
    ROMANCE = "romance", "Romance"
    HYBRID = "hybrid", "Hybrid"


class JobStatus(models.TextChoices):
    """A generation job's state (``generation_jobs.status``); billing counts active jobs as pending."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


# How the brief's other values read on a page (the engine's own values are snake_case).
LANGUAGE_LABELS = {"en": "English", "pl": "Polish (polski)"}
STRUCTURE_LABELS = {
    "three_act": "Three acts",
    "hero_journey": "Hero's journey",
    "kishotenketsu": "Kishōtenketsu (four parts)",
    "five_act": "Five acts",
}
POV_LABELS = {
    "third_limited": "Third person, limited",
    "first": "First person",
    "third_omniscient": "Third person, omniscient",
    "second": "Second person",
}
# Every value above and the seed's choices, for the `label` template filter.
VALUE_LABELS: dict[str, str] = {
    **dict(ProductionType.choices),
    **dict(Genre.choices),
    **LANGUAGE_LABELS,
    **STRUCTURE_LABELS,
    **POV_LABELS,
}
