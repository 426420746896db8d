"""The `narratives` table: finished, versioned narratives."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func
from django.db.models.expressions import RawSQL

from narraforge.choices import Genre, ProductionType
from narraforge.models import SeedModel, choice_check


class Narrative(SeedModel):
    user = models.ForeignKey(
        "accounts.User", on_delete=models.DB_CASCADE, null=True, related_name="narratives", db_index=False
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.DB_CASCADE,
        null=True,
        related_name="narratives",
        db_index=False,
    )
    job = models.ForeignKey(
        "jobs.GenerationJob",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="narratives",
        db_index=False,
    )

    title = models.CharField(max_length=500, null=True, blank=True)
    production_type = models.CharField(max_length=50, choices=ProductionType.choices)
    genre = models.CharField(max_length=50, choices=Genre.choices)

    narrative_text = models.TextField()
    word_count = models.IntegerField()

    metadata = models.JSONField()
    quality_metrics = models.JSONField(null=True, blank=True)
    overall_quality_score = models.FloatField(null=True, blank=True)

    generation_cost_usd = models.FloatField()
    tokens_used = models.IntegerField()

    version = models.IntegerField(null=True, default=1, db_default=1)
    # Indexed (Django's default) because the version chain looks up children.
    parent_narrative = models.ForeignKey(
        "self", on_delete=models.DB_SET_NULL, null=True, blank=True, related_name="children"
    )

    exported_formats = models.JSONField(null=True, default=list, db_default=[])

    view_count = models.IntegerField(null=True, default=0, db_default=0)
    download_count = models.IntegerField(null=True, default=0, db_default=0)

    class Meta:
        db_table = "narratives"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], name="idx_narratives_user_id"),
            models.Index(fields=["project"], name="idx_narratives_project_id"),
            models.Index(fields=["job"], name="idx_narratives_job_id"),
            models.Index(fields=["production_type", "genre"], name="idx_narratives_type_genre"),
        ]
        constraints = [
            choice_check("production_type", ProductionType, table="narratives"),
            choice_check("genre", Genre, table="narratives"),
        ]

    def __str__(self) -> str:
        return self.title or f"Untitled {self.get_production_type_display().lower()}"


class NarrativeSearch(models.Model):
    """The search vector of one narrative: a side table the database keeps.

    A trigger on ``narratives`` (migration 0004) writes ``document`` from the
    title and text whenever a row is inserted or its text, title, language or
    owner changes, so rows written by plain SQL are searchable at once and
    counter updates never recompute it. ``lemmas`` holds the Polish lemmas of
    the text, computed in Python (``narratives.search``) by a worker; the
    trigger sets ``lemmatised`` back to false and bumps ``revision`` so a
    lemmatiser that raced a change does not mark stale lemmas as current.
    """

    narrative = models.OneToOneField(
        Narrative, on_delete=models.DB_CASCADE, primary_key=True, related_name="search_row"
    )
    user_id = models.CharField(null=True)
    language = models.CharField(max_length=16)
    document = SearchVectorField()
    lemmas = SearchVectorField(db_default=RawSQL("''::tsvector", ()))
    vector = models.GeneratedField(
        expression=Func(
            F("document"),
            F("lemmas"),
            arg_joiner=" || ",
            template="(%(expressions)s)",
            output_field=SearchVectorField(),
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    lemmatised = models.BooleanField(db_default=False)
    revision = models.IntegerField(db_default=1)

    class Meta:
        db_table = "narrative_search"
        indexes = [
            # The library's search: the owner and the words in one GIN index (btree_gin), so
            # the matches of one user are read from the index alone, never from the vectors.
            GinIndex(fields=["user_id", "vector"], name="idx_narrative_search_words"),
            # "Has this user Polish narratives?" Partial on purpose: a plain btree on
            # user_id would be the planner's pick for the search and read every vector.
            models.Index(
                fields=["user_id"], name="idx_narrative_search_pl", condition=models.Q(language="pl")
            ),
            # The lemmatiser's backlog: rows whose lemmas are not current.
            models.Index(
                fields=["narrative"],
                name="idx_narrative_search_pending",
                condition=models.Q(lemmatised=False),
            ),
        ]

    def __str__(self) -> str:
        return f"search row of {self.narrative_id}"


class NarrativeExport(models.Model):
    """One rendered file of one version in one format (issue 18 §2): rendered once by a worker.

    Keyed by narrative, the narrative's ``updated_at`` when it was asked for
    (a content change makes a new key; counters do not move it) and format,
    plus the renderer's version so a change in the export code renders anew.
    The file lives in the ``exports`` storage (settings.STORAGES) under
    ``storage_name``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    # Bump when the export code changes what a file contains: every version renders anew.
    CURRENT_RENDER_VERSION = 1

    id = models.BigAutoField(primary_key=True)
    narrative = models.ForeignKey(Narrative, on_delete=models.DB_CASCADE, related_name="exports")
    fmt = models.CharField(max_length=10)
    source_updated_at = models.DateTimeField()
    render_version = models.IntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt = models.IntegerField(default=0)
    storage_name = models.CharField(max_length=300, blank=True, default="")
    size_bytes = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "narrative_exports"
        constraints = [
            # The lookup of every download: one row per key.
            models.UniqueConstraint(
                fields=["narrative", "fmt", "source_updated_at", "render_version"],
                name="narrative_exports_key",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "ready", "failed"]),
                name="narrative_exports_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fmt} of {self.narrative_id} ({self.status})"
