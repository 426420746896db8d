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


class CodexKind(models.TextChoices):
    CHARACTER = "character", "Character"
    PLACE = "place", "Place"
    LORE = "lore", "Lore"


class CodexEntry(SeedModel):
    """One entry of a project's codex: a character, a place or a piece of lore the writer keeps.

    Source of truth. The codex rows are what the writer edits; the project's
    ``World.characters`` and ``World.bible["locations"]`` / ``["lore"]`` are a
    projection of them, rewritten by ``projects.codex_services`` after every
    codex write, so everything that reads the world JSON (the brief's
    ``world``, the pipeline, the generation form) keeps working unchanged.
    Not a seed table.
    """

    Kind = CodexKind

    project = models.ForeignKey(
        Project, on_delete=models.DB_CASCADE, related_name="codex_entries", db_index=False
    )
    kind = models.CharField(max_length=20, choices=CodexKind.choices)
    name = models.CharField(max_length=120)
    aliases = models.JSONField(default=list, blank=True)  # other names the text may use
    role = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    goal = models.CharField(max_length=1000, blank=True, default="")
    relationships = models.TextField(blank=True, default="")
    # What the engine made up for a cast member (gender, arc, voice, contradictions): kept so the
    # world JSON derived from the codex gives a returning character everything it had.
    traits = models.JSONField(default=dict, blank=True)
    position = models.IntegerField(default=0)

    class Meta:
        db_table = "codex_entries"
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["project", "kind", "position"], name="idx_codex_project_kind")]
        constraints = [
            choice_check("kind", CodexKind, table="codex_entries"),
            models.UniqueConstraint(
                "project", models.functions.Lower("name"), name="codex_entries_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def names(self) -> list[str]:
        """The name and every alias: what a mention of this entry looks like."""
        return [self.name, *[a for a in self.aliases or [] if isinstance(a, str) and a]]
