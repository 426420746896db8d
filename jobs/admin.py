from django.contrib import admin, messages

from jobs.models import GenerationJob, JobRuntime
from jobs.services import job_cancel, job_resume
from narraforge.admin_utils import admin_link, money, pretty_json
from narraforge.errors import UserFacingError
from narraforge.redaction import redact


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = (
        "short_id",
        "owner",
        "project_link",
        "status",
        "current_stage",
        "progress",
        "cost",
        "tokens_used",
        "retry_count",
        "created_at",
    )
    list_filter = ("status", "can_resume", "created_at", "completed_at")
    search_fields = ("id", "user__email", "project__name", "rq_job_id", "error_message")
    list_select_related = ("user", "project")
    raw_id_fields = ("user", "project")
    date_hierarchy = "created_at"
    actions = ("cancel_jobs", "resume_jobs")
    # The brief and output are large JSON documents: shown formatted, read-only.
    exclude = ("production_brief", "output", "completed_stages")
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "brief_pretty",
        "output_pretty",
        "completed_stages_pretty",
        "started_at",
        "completed_at",
        "duration_seconds",
        "rq_job_id",
        "error_detail",
    )

    @admin.display(description="Error detail (staff only, secrets masked)")
    def error_detail(self, obj: GenerationJob) -> str:
        detail = JobRuntime.objects.filter(pk=obj.pk).values_list("error_detail", flat=True).first()
        return redact(detail or "") or "—"

    @admin.display(description="Job", ordering="id")
    def short_id(self, obj: GenerationJob) -> str:
        return obj.id[:8]

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, obj: GenerationJob) -> str:
        return admin_link(obj.user)

    @admin.display(description="Project", ordering="project__name")
    def project_link(self, obj: GenerationJob) -> str:
        return admin_link(obj.project)

    @admin.display(description="Progress", ordering="progress_percentage")
    def progress(self, obj: GenerationJob) -> str:
        return f"{obj.progress_percentage or 0:.0f}%"

    @admin.display(description="Cost", ordering="actual_cost_usd")
    def cost(self, obj: GenerationJob) -> str:
        return money(obj.actual_cost_usd)

    @admin.display(description="Production brief")
    def brief_pretty(self, obj: GenerationJob) -> str:
        return pretty_json(obj.production_brief)

    @admin.display(description="Output")
    def output_pretty(self, obj: GenerationJob) -> str:
        return pretty_json(obj.output)

    @admin.display(description="Completed stages")
    def completed_stages_pretty(self, obj: GenerationJob) -> str:
        return pretty_json(obj.completed_stages)

    def _act(self, request, queryset, service, done: str) -> None:
        """Run a job service for each selected job, on behalf of its owner (limits included)."""
        ok, refused = 0, []
        for job in queryset.select_related("user"):
            try:
                service(user=job.user, job=job)
                ok += 1
            except UserFacingError as exc:
                refused.append(f"{job.id[:8]}: {exc}")
        if ok:
            self.message_user(request, f"{ok} job(s) {done}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Cancel the selected jobs (queued or running)")
    def cancel_jobs(self, request, queryset) -> None:
        self._act(request, queryset, job_cancel, "cancelled or asked to stop")

    @admin.action(description="Resume the selected jobs from their checkpoints")
    def resume_jobs(self, request, queryset) -> None:
        self._act(request, queryset, job_resume, "resumed")
