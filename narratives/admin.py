from django.contrib import admin

from narraforge.admin_utils import admin_link, money, pretty_json
from narratives.models import Narrative


@admin.register(Narrative)
class NarrativeAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "owner",
        "project_link",
        "production_type",
        "genre",
        "version",
        "word_count",
        "overall_quality_score",
        "cost",
        "view_count",
        "download_count",
        "created_at",
    )
    list_filter = ("production_type", "genre", "version", "created_at")
    search_fields = ("id", "title", "user__email", "project__name")
    list_select_related = ("user", "project")
    raw_id_fields = ("user", "project", "job", "parent_narrative")
    date_hierarchy = "created_at"
    exclude = ("metadata", "quality_metrics", "exported_formats")
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "metadata_pretty",
        "quality_pretty",
        "exported_formats_pretty",
        "view_count",
        "download_count",
    )

    def get_queryset(self, request):
        # Lists never need the (possibly megabytes of) narrative text.
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            qs = qs.defer("narrative_text", "metadata")
        return qs

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, obj: Narrative) -> str:
        return admin_link(obj.user)

    @admin.display(description="Project", ordering="project__name")
    def project_link(self, obj: Narrative) -> str:
        return admin_link(obj.project)

    @admin.display(description="Cost", ordering="generation_cost_usd")
    def cost(self, obj: Narrative) -> str:
        return money(obj.generation_cost_usd)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj: Narrative) -> str:
        return pretty_json(obj.metadata)

    @admin.display(description="Quality metrics")
    def quality_pretty(self, obj: Narrative) -> str:
        return pretty_json(obj.quality_metrics)

    @admin.display(description="Exported formats")
    def exported_formats_pretty(self, obj: Narrative) -> str:
        return pretty_json(obj.exported_formats)
