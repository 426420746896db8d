"""Model connections: a writer's own model endpoints, and which connection each job writes with.

Side tables (not among the seed's five). The operator's default connection is
not a row: it comes from the environment (``OPENAI_*`` / ``NF_MODEL_*``, see
``connections.selectors.operator_connection``).

Why an app of its own, between ``accounts`` and ``projects``: a connection
belongs to a user (so it sits above accounts), and billing and the job
orchestrator read it (so below them); accounts is identity and tiers, and
none of its code needs to know about model endpoints.

The API key is stored only as a Fernet token (``connections.crypto``); the
row keeps a hint ("sk-…abcd") for pages, and no attribute returns the key in
clear: ``connections.selectors.connection_value`` decrypts it for the worker
and the test button, nowhere else.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from narraforge.models import new_id


class JsonMode(models.TextChoices):
    AUTO = "auto", "Detect (strict schema first, then fall back)"
    JSON_SCHEMA = "json_schema", "Strict JSON schema"
    JSON_OBJECT = "json_object", "JSON object, schema in the prompt"
    PROMPT = "prompt", "Schema in the prompt only"


NAME_MAX_LENGTH = 80
MODEL_MAX_LENGTH = 200
URL_MAX_LENGTH = 500


class ModelConnection(models.Model):
    """One OpenAI-compatible endpoint a writer brought: where, which key, which models, what they cost."""

    id = models.CharField(primary_key=True, default=new_id, editable=False)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.DB_CASCADE, related_name="model_connections", db_index=False
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    preset = models.CharField(
        max_length=40, blank=True, default="", help_text="The preset the form started from (openai, ollama…)."
    )
    base_url = models.CharField(max_length=URL_MAX_LENGTH)
    api_key_encrypted = models.TextField(
        blank=True, default="", help_text="A Fernet token (connections.crypto); empty: no key."
    )
    api_key_hint = models.CharField(
        max_length=24, blank=True, default="", help_text="What pages show of the key: its last 4 characters."
    )
    model_mini = models.CharField(max_length=MODEL_MAX_LENGTH)
    model_gpt4 = models.CharField(max_length=MODEL_MAX_LENGTH)
    context_window = models.IntegerField(null=True, blank=True, help_text="Tokens; empty: ask the server.")
    json_mode = models.CharField(max_length=20, choices=JsonMode.choices, default=JsonMode.AUTO)
    # USD per 1M tokens.
    price_mini_input = models.FloatField(default=0.0)
    price_mini_output = models.FloatField(default=0.0)
    price_gpt4_input = models.FloatField(default=0.0)
    price_gpt4_output = models.FloatField(default=0.0)
    is_default = models.BooleanField(
        default=False, help_text="Writes the user's jobs unless the form says other."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "model_connections"
        ordering = ["-is_default", "name"]
        constraints = [
            # Serves connections_for_user (user_id leads) and refuses a second "Work" of one user.
            models.UniqueConstraint("user", Lower("name"), name="uniq_model_connections_user_name"),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="uniq_model_connections_default"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    price_mini_input__gte=0,
                    price_mini_output__gte=0,
                    price_gpt4_input__gte=0,
                    price_gpt4_output__gte=0,
                ),
                name="model_connections_prices_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(json_mode__in=JsonMode.values), name="model_connections_json_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_key(self) -> str:
        """What any page may show of the key."""
        return self.api_key_hint or ("no key" if not self.api_key_encrypted else "…")

    @property
    def has_key(self) -> bool:
        return bool(self.api_key_encrypted)

    def tier_models(self) -> dict[str, str]:
        return {"mini": self.model_mini, "gpt4": self.model_gpt4}

    def tier_prices(self) -> dict[str, tuple[float, float]]:
        return {
            "mini": (self.price_mini_input, self.price_mini_output),
            "gpt4": (self.price_gpt4_input, self.price_gpt4_output),
        }


class JobConnection(models.Model):
    """Which connection a job writes with, fixed when the job is created (and kept by its resumes).

    ``connection`` is the writer's row (NULL with ``own_key`` off: the operator's
    default). The name, URL and models are a snapshot, so the job page and the
    ops status page still say what wrote a job after the connection is edited
    or deleted; the key is never copied here: the worker decrypts it from the
    connection row at run time.
    """

    job = models.OneToOneField(
        "jobs.GenerationJob", on_delete=models.DB_CASCADE, primary_key=True, related_name="connection_choice"
    )
    connection = models.ForeignKey(
        ModelConnection, on_delete=models.DB_SET_NULL, null=True, blank=True, related_name="jobs"
    )
    own_key = models.BooleanField(default=False)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    base_url = models.CharField(max_length=URL_MAX_LENGTH, blank=True, default="")
    tier_models = models.JSONField(default=dict, help_text='{"mini": model, "gpt4": model}')
    engine = models.CharField(max_length=20, default="offline")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "generation_job_connections"
        indexes = [models.Index(fields=["connection"], name="idx_job_connections_conn")]

    def __str__(self) -> str:
        return f"{self.name} for job {self.job_id[:8]}"

    def info(self) -> dict:
        """What the job page and the narrative's metadata say about who wrote it."""
        return {
            "name": self.name,
            "own_key": self.own_key,
            "engine": self.engine,
            "models": dict(self.tier_models or {}),
        }
