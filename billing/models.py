"""The `usage_logs` table: one row per billed operation, with the model-tier split."""

from django.db import models

from narraforge.choices import ProductionType
from narraforge.models import SeedModel, choice_check


class OperationType(models.TextChoices):
    GENERATION = "generation", "Generation"
    REVISION = "revision", "Revision"
    PLANNING = "planning", "Planning"


class UsageLog(SeedModel):
    user = models.ForeignKey(
        "accounts.User", on_delete=models.DB_CASCADE, null=True, related_name="usage_logs", db_index=False
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="usage_logs",
        db_index=False,
    )
    job = models.ForeignKey(
        "jobs.GenerationJob",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="usage_logs",
        db_index=False,
    )

    operation_type = models.CharField(max_length=50, choices=OperationType.choices)
    production_type = models.CharField(max_length=50, choices=ProductionType.choices, null=True, blank=True)

    tokens_used = models.IntegerField()
    cost_usd = models.FloatField()

    mini_tokens = models.IntegerField(null=True, default=0, db_default=0)
    gpt4_tokens = models.IntegerField(null=True, default=0, db_default=0)
    mini_cost_usd = models.FloatField(null=True, default=0.0, db_default=0.0)
    gpt4_cost_usd = models.FloatField(null=True, default=0.0, db_default=0.0)

    class Meta:
        db_table = "usage_logs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], name="idx_usage_user_id"),
            models.Index(fields=["project"], name="idx_usage_project_id"),
            models.Index(fields=["job"], name="idx_usage_job_id"),
        ]
        constraints = [
            choice_check("operation_type", OperationType, table="usage_logs"),
            choice_check("production_type", ProductionType, table="usage_logs", nullable=True),
        ]

    def __str__(self) -> str:
        return f"{self.operation_type} ${self.cost_usd:.4f}"


class MonthlyReset(models.Model):
    """One row per month whose monthly usage reset has run: what makes the reset idempotent.

    Not one of the seed's tables. ``month`` is the first day of the month (UTC).
    """

    month = models.DateField(primary_key=True, help_text="First day of the month (UTC).")
    reset_at = models.DateTimeField()
    users_reset = models.IntegerField(default=0)

    class Meta:
        db_table = "billing_resets"
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"Reset of {self.month:%Y-%m}"


class CostReservation(models.Model):
    """What a job may spend, held against its owner's monthly cost limit while it is active.

    Not one of the seed's tables. ``reserved_usd`` is the job's total over all
    its attempts: its estimate when it is created (or resumed), grown before
    every model call that could go past it. The rule that uses it lives in
    ``billing.reservations``.
    """

    job = models.OneToOneField(
        "jobs.GenerationJob", on_delete=models.DB_CASCADE, primary_key=True, related_name="cost_reservation"
    )
    user = models.ForeignKey("accounts.User", on_delete=models.DB_CASCADE, related_name="+", db_index=False)
    reserved_usd = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "billing_cost_reservations"
        # The ceiling sums one user's reservations on every check.
        indexes = [models.Index(fields=["user"], name="idx_reservations_user_id")]

    def __str__(self) -> str:
        return f"${self.reserved_usd:.4f} for job {self.job_id[:8]}"


class OwnKeyUsage(models.Model):
    """Marks a usage log paid with the writer's own API key (README, "Limits with your own key").

    Not one of the seed's tables. Such a log is the writer's spend: it is shown
    as theirs and counts as a generation, but it is not added to
    ``monthly_cost_used_usd`` and draws nothing from the platform's monthly cost
    limit. The mark is on the log, not the job, so it survives the job's
    deletion (the seed sets ``usage_logs.job_id`` NULL then).
    """

    usage_log = models.OneToOneField(
        UsageLog, on_delete=models.DB_CASCADE, primary_key=True, related_name="own_key"
    )
    connection_name = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        db_table = "billing_own_key_usage"

    def __str__(self) -> str:
        return f"Own key ({self.connection_name}) for {self.usage_log_id[:8]}"
