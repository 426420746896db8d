"""The `projects` table: a user's workspace for a series of narratives."""

from django.db import models

from narraforge.choices import Genre, ProductionType
from narraforge.models import SeedModel, choice_check


class Project(SeedModel):
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.DB_CASCADE,
        null=True,
        related_name="projects",
        db_index=False,  # idx_projects_user_id below
    )
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)

    # The project's world (series canon); see projects.World.
    world_id = models.CharField(null=True, blank=True)

    default_genre = models.CharField(max_length=50, choices=Genre.choices, null=True, blank=True)
    default_production_type = models.CharField(
        max_length=50, choices=ProductionType.choices, null=True, blank=True
    )

    narrative_count = models.IntegerField(null=True, default=0, db_default=0)
    total_word_count = models.IntegerField(null=True, default=0, db_default=0)
    total_cost_usd = models.FloatField(null=True, default=0.0, db_default=0.0)

    class Meta:
        db_table = "projects"
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["user"], name="idx_projects_user_id"),
            models.Index(fields=["world_id"], name="idx_projects_world_id"),
        ]
        constraints = [
            choice_check("default_genre", Genre, table="projects", nullable=True),
            choice_check("default_production_type", ProductionType, table="projects", nullable=True),
        ]

    def __str__(self) -> str:
        return self.name


class World(SeedModel):
    """A project's canon: the world bible, cast and timeline narratives share.

    Not one of the seed's five tables; `projects.world_id` holds its id. It is
    created from a project's first narrative and merged with what later
    narratives add.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.DB_CASCADE, related_name="worlds")
    name = models.CharField(max_length=255)
    bible = models.JSONField(default=dict, blank=True)
    characters = models.JSONField(default=list, blank=True)
    timeline = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "worlds"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
