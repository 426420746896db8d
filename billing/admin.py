import datetime as dt

from django.contrib import admin

from billing.models import MonthlyReset, UsageLog
from billing.selectors import add_months, month_bounds
from narraforge.admin_utils import admin_link, money


class MonthFilter(admin.SimpleListFilter):
    """The calendar month (UTC) a log belongs to: the last 24 months."""

    title = "month"
    parameter_name = "month"

    def lookups(self, request, model_admin):
        start, _ = month_bounds()
        months = [add_months(start, -i) for i in range(24)]
        return [(m.strftime("%Y-%m"), m.strftime("%B %Y")) for m in months]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            start = dt.datetime.strptime(value, "%Y-%m").replace(tzinfo=dt.UTC)
        except ValueError:
            return queryset.none()
        return queryset.filter(created_at__gte=start, created_at__lt=add_months(start, 1))


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
    list_filter = (
        MonthFilter,
        "operation_type",
        ("user", admin.RelatedOnlyFieldListFilter),
        ("project", admin.RelatedOnlyFieldListFilter),
        "production_type",
        "created_at",
    )
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


@admin.register(MonthlyReset)
class MonthlyResetAdmin(admin.ModelAdmin):
    """Which months have had their usage reset (read-only: the reset itself writes these)."""

    list_display = ("month", "reset_at", "users_reset")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
