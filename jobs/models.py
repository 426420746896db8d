"""The `generation_jobs` table: the source of truth for every generation.

The queue only carries work; this row says what state a job is in. The RQ
job id lives in the seed's `celery_task_id` column.
"""

from django.db import models

from narraforge.choices import ACTIVE_STATUSES, FINISHED_STATUSES, JobStatus
from narraforge.models import SeedModel, choice_check

__all__ = ["ACTIVE_STATUSES", "FINISHED_STATUSES", "GenerationJob", "JobRuntime", "JobStatus"]


class GenerationJob(SeedModel):
    user = models.ForeignKey(
        "accounts.User", on_delete=models.DB_CASCADE, null=True, related_name="jobs", db_index=False
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.DB_CASCADE, null=True, related_name="jobs", db_index=False
    )

    status = models.CharField(
        max_length=20,
        choices=JobStatus.choices,
        null=True,
        default=JobStatus.QUEUED,
        db_default=JobStatus.QUEUED,
    )

    production_brief = models.JSONField()
    output = models.JSONField(null=True, blank=True)

    current_stage = models.CharField(max_length=100, null=True, blank=True)
    completed_stages = models.JSONField(null=True, default=list, db_default=[])
    progress_percentage = models.FloatField(null=True, default=0.0, db_default=0.0)

    estimated_cost_usd = models.FloatField(null=True, blank=True)
    actual_cost_usd = models.FloatField(null=True, default=0.0, db_default=0.0)
    tokens_used = models.IntegerField(null=True, default=0, db_default=0)

    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.IntegerField(null=True, blank=True)

    error_message = models.TextField(null=True, blank=True)
    retry_count = models.IntegerField(null=True, default=0, db_default=0)
    can_resume = models.BooleanField(null=True, default=False, db_default=False)

    rq_job_id = models.CharField(max_length=255, null=True, blank=True, db_column="celery_task_id")

    class Meta:
        db_table = "generation_jobs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], name="idx_jobs_user_id"),
            models.Index(fields=["project"], name="idx_jobs_project_id"),
            models.Index(fields=["status"], name="idx_jobs_status"),
            models.Index(fields=["rq_job_id"], name="idx_jobs_celery_task_id"),
        ]
        constraints = [choice_check("status", JobStatus, table="generation_jobs", nullable=True)]

    def __str__(self) -> str:
        return f"Job {self.id[:8]} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class JobRuntime(models.Model):
    """Worker-side state of a job that the seed's columns do not hold.

    One row per job (created with the job): what kind of run it is and its
    inputs beyond the brief (the plan to draft from, the parent narrative of a
    revision), the last pipeline checkpoint (a resume starts from it), the
    spend per model tier so far, the worker's heartbeat (the reaper fails jobs
    whose heartbeat went stale) and a cancellation request (the running task
    polls it). Not one of the seed's five tables.
    """

    class Kind(models.TextChoices):
        GENERATION = "generation", "Generation"
        PLANNING = "planning", "Plan review"
        DRAFT = "draft", "Draft from a reviewed plan"
        REVISION = "revision", "Revision"
        # Chapter jobs (jobs.chapter_services): only some chapters are written, the rest are kept.
        REGENERATE = "regenerate", "Regenerate a chapter"
        CONTINUE = "continue", "Continue the story"
        REVISE_CHAPTERS = "revise_chapters", "Revise chapters"

    job = models.OneToOneField(
        GenerationJob, on_delete=models.DB_CASCADE, primary_key=True, related_name="runtime"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERATION)
    plan = models.JSONField(null=True, blank=True, help_text="The plan a draft or revision starts from.")
    parent_narrative_id = models.CharField(max_length=255, null=True, blank=True)
    scope = models.JSONField(
        null=True,
        blank=True,
        help_text="A chapter job's scope: chapters, instructions (jobs.pipeline.scoped).",
    )
    world_mode = models.CharField(
        max_length=20, blank=True, default="", help_text="'continue' (project world), 'new' or '' (none yet)."
    )
    usage = models.JSONField(null=True, blank=True, help_text="Spend per tier so far, all attempts.")
    checkpoint = models.JSONField(null=True, blank=True)
    checkpoint_stage = models.CharField(max_length=100, blank=True, default="")
    checkpoint_saved_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    position = models.JSONField(
        null=True, blank=True, help_text="Where the writing is: stage, chapter, chapters, words so far."
    )
    worker = models.CharField(max_length=255, blank=True, default="")
    error_detail = models.TextField(
        blank=True, default="", help_text="Staff only: the engine's account of the last stop, redacted."
    )
    failure_cause = models.CharField(
        max_length=40, blank=True, default="", help_text="Why the job stopped (narraforge.causes.Cause)."
    )
    notice = models.CharField(
        max_length=200, blank=True, default="", help_text="What a running job waits for (a model retry)."
    )

    class Meta:
        db_table = "generation_job_runtime"

    def __str__(self) -> str:
        return f"Runtime of job {self.job_id[:8]}"


CHAPTER_KINDS = (JobRuntime.Kind.REGENERATE, JobRuntime.Kind.CONTINUE, JobRuntime.Kind.REVISE_CHAPTERS)


class JobSubmission(models.Model):
    """One click, one job: the job a form submission started, found again by the form's one-time key.

    Not one of the seed's tables. The form carries a key made when it was
    rendered (``{% submission_field %}``); a second POST with the same key —
    a double click, a retried request, the back button — gets the job the
    first one started instead of a new one (``jobs.submissions``).
    """

    user = models.ForeignKey("accounts.User", on_delete=models.DB_CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=100)
    job = models.ForeignKey(GenerationJob, on_delete=models.DB_CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "generation_job_submissions"
        # The unique index serves the replay lookup (user, key).
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_job_submissions_user_key")]

    def __str__(self) -> str:
        return f"Submission {self.key[:12]} → job {self.job_id[:8]}"


class JobSpend(models.Model):
    """What one attempt of a job spent on model calls, written as each call returns. Not a seed table.

    One row per attempt (its RQ job id), upserted after every paid call before
    the next one starts, and never fenced: spend is a fact even for an attempt
    that has lost its job (the reaper took over, a resume started). ``in_flight``
    is the call under way (its prompt, priced): a worker killed mid-call leaves
    it behind and it is billed as possibly billed. A job's spend is the sum of
    its rows (``jobs.spend.spend_total``), so no ordering of attempts, reaper and
    zombie workers can bill a call twice or not at all.
    """

    job = models.ForeignKey(GenerationJob, on_delete=models.DB_CASCADE, related_name="spend", db_index=False)
    attempt = models.CharField(max_length=255)
    usage = models.JSONField(
        default=dict, help_text="Per tier: prompt/completion tokens, tokens, cost, calls."
    )
    in_flight = models.JSONField(null=True, blank=True, help_text="The call under way: tier, prompt, cost.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "generation_job_spend"
        constraints = [
            # Serves the upsert (job, attempt) and every per-job sum (job_id leads).
            models.UniqueConstraint(fields=["job", "attempt"], name="uniq_job_spend_attempt")
        ]

    def __str__(self) -> str:
        return f"Spend of {self.attempt}"


class CheckpointPart(models.Model):
    """One finished piece of a checkpoint, written once (issue 18 §3): a drafted or stylised
    segment, or one model call.

    Rewriting the whole checkpoint after every segment made a saga's checkpoints
    quadratic (1.1 GB serialised for 500k words). ``JobRuntime.checkpoint`` now
    holds a small header that counts these rows (``{"drafts": {"$rows": 12}}``);
    ``jobs.checkpoint_store`` writes only new or changed parts and reads them back
    for a resume.
    """

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(GenerationJob, on_delete=models.DB_CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20)  # the checkpoint's list: drafts, styled, model_calls
    index = models.IntegerField()
    body = models.TextField()  # the element as JSON

    class Meta:
        db_table = "generation_job_checkpoint_parts"
        constraints = [
            # Serves the upsert of a part and the ordered read of a resume.
            models.UniqueConstraint(fields=["job", "kind", "index"], name="checkpoint_parts_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}[{self.index}] of job {self.job_id[:8]}"
