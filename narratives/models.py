"""The `narratives` table: finished, versioned narratives."""

from django.db import models

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
