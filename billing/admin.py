from django.contrib import admin

from billing.models import UsageLog
from narraforge.admin_utils import admin_link, money


@admin.register(UsageLog)
class UsageLogAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "owner",
        "project_link",
        "operation_type",
        "production_type",
        "tokens_used",
        "cost",
        "mini_tokens",
        "gpt4_tokens",
    )
    list_filter = ("operation_type", "production_type", "created_at")
    search_fields = ("user__email", "project__name", "job__id")
    list_select_related = ("user", "project")
    raw_id_fields = ("user", "project", "job")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")

    @admin.display(description="User", ordering="user__email")
    def owner(self, obj: UsageLog) -> str:
        return admin_link(obj.user)

    @admin.display(description="Project", ordering="project__name")
    def project_link(self, obj: UsageLog) -> str:
        return admin_link(obj.project)

    @admin.display(description="Cost", ordering="cost_usd")
    def cost(self, obj: UsageLog) -> str:
        return money(obj.cost_usd)
