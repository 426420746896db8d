from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import UpgradeRequest, User
from accounts.services import UpgradeError, upgrade_request_decide, user_set_tier
from billing.services import usage_recompute


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = (
        "email",
        "full_name",
        "subscription_tier",
        "generations_this_month",
        "cost_this_month",
        "is_verified",
        "is_active",
        "is_superuser",
        "created_at",
    )
    list_filter = (
        "subscription_tier",
        "is_active",
        "is_verified",
        "is_superuser",
        "oauth_provider",
        "created_at",
    )
    search_fields = ("email", "full_name", "oauth_id")
    ordering = ("-created_at",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("full_name", "avatar_url", "oauth_provider", "oauth_id")}),
        (
            "Subscription and usage",
            {
                "fields": (
                    "subscription_tier",
                    "subscription_ends_at",
                    ("monthly_generations_used", "monthly_generation_limit"),
                    ("monthly_cost_used_usd", "monthly_cost_limit_usd"),
                )
            },
        ),
        ("Status", {"fields": ("is_active", "is_verified", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description="Generations (month)")
    def generations_this_month(self, obj: User) -> str:
        limit = "∞" if obj.monthly_generation_limit is None else obj.monthly_generation_limit
        return f"{obj.monthly_generations_used or 0} / {limit}"

    @admin.display(description="Cost (month)")
    def cost_this_month(self, obj: User) -> str:
        limit = "∞" if obj.monthly_cost_limit_usd is None else f"${obj.monthly_cost_limit_usd:,.2f}"
        return f"${obj.monthly_cost_used_usd or 0:,.2f} / {limit}"

    # Tier and usage actions: through accounts.services / billing.services, like set_tier and the cron.
    actions = ("set_tier_free", "set_tier_pro", "set_tier_enterprise", "reset_usage")

    def _set_tier(self, request, queryset, tier: str) -> None:

        users = list(queryset)
        for user in users:
            user_set_tier(user=user, tier=tier)
        self.message_user(request, f"{len(users)} user(s) moved to {tier} with its limits (no end date).")

    @admin.action(description="Change tier to Free (sets its limits)")
    def set_tier_free(self, request, queryset) -> None:
        self._set_tier(request, queryset, "free")

    @admin.action(description="Change tier to Pro (sets its limits)")
    def set_tier_pro(self, request, queryset) -> None:
        self._set_tier(request, queryset, "pro")

    @admin.action(description="Change tier to Enterprise (unlimited)")
    def set_tier_enterprise(self, request, queryset) -> None:
        self._set_tier(request, queryset, "enterprise")

    @admin.action(description="Reset usage: recount this month's counters from the usage logs")
    def reset_usage(self, request, queryset) -> None:

        users = queryset.count()
        fixed = usage_recompute(fix=True, users=queryset)
        changed = len({m.user_id for m in fixed})
        self.message_user(
            request,
            f"Recounted {users} user(s) from this month's usage logs; {changed} had drifted and were fixed.",
        )

    def save_model(self, request, obj, form, change) -> None:
        # A tier picked in the form brings its limits, unless the operator edited the limits too.
        limits = {"monthly_generation_limit", "monthly_cost_limit_usd"}
        if change and "subscription_tier" in form.changed_data and not limits & set(form.changed_data):
            tier = obj.tier
            obj.monthly_generation_limit = tier.generation_limit
            obj.monthly_cost_limit_usd = tier.cost_limit_usd
        super().save_model(request, obj, form, change)


@admin.register(UpgradeRequest)
class UpgradeRequestAdmin(admin.ModelAdmin):
    """Writers' requests for a bigger plan. Approving moves the writer to the tier; no payment is taken."""

    list_display = ("user", "from_tier", "tier", "status", "created_at", "decided_at", "decided_by")
    list_filter = ("status", "tier")
    search_fields = ("user__email", "note")
    ordering = ("status", "created_at")
    readonly_fields = (
        "user",
        "from_tier",
        "tier",
        "note",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
    )
    list_select_related = ("user", "decided_by")
    actions = ("approve", "decline")

    def has_add_permission(self, request) -> bool:
        return False  # writers ask from the plans page

    def _decide(self, request, queryset, *, approve: bool) -> None:
        done, skipped = 0, []
        for item in queryset:
            try:
                upgrade_request_decide(request=item, staff=request.user, approve=approve)
                done += 1
            except UpgradeError as exc:
                skipped.append(f"{item.user}: {exc}")
        verb = "approved (the writer is on the new plan now)" if approve else "declined"
        self.message_user(request, f"{done} request(s) {verb}.")
        for line in skipped:
            self.message_user(request, line, level=messages.WARNING)

    @admin.action(description="Approve: move the writer to the requested plan")
    def approve(self, request, queryset) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="Decline")
    def decline(self, request, queryset) -> None:
        self._decide(request, queryset, approve=False)
