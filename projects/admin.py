from django.contrib import admin

from narraforge.admin_utils import admin_link, money, pretty_json
from projects.models import CodexEntry, Project, World


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "default_genre",
        "default_production_type",
        "narrative_count",
        "total_word_count",
        "cost",
        "updated_at",
    )
    list_filter = ("default_genre", "default_production_type", "created_at")
    search_fields = ("name", "description", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "narrative_count",
        "total_word_count",
        "total_cost_usd",
    )
    date_hierarchy = "created_at"

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, obj: Project) -> str:
        return admin_link(obj.user)

    @admin.display(description="Cost", ordering="total_cost_usd")
    def cost(self, obj: Project) -> str:
        return money(obj.total_cost_usd)


@admin.register(World)
class WorldAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "updated_at")
    search_fields = ("name", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "bible_pretty",
        "characters_pretty",
        "timeline_pretty",
    )

    @admin.display(description="World bible")
    def bible_pretty(self, obj: World) -> str:
        return pretty_json(obj.bible)

    @admin.display(description="Characters")
    def characters_pretty(self, obj: World) -> str:
        return pretty_json(obj.characters)

    @admin.display(description="Timeline")
    def timeline_pretty(self, obj: World) -> str:
        return pretty_json(obj.timeline)


@admin.register(CodexEntry)
class CodexEntryAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "project", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name", "project__name", "project__user__email")
    list_select_related = ("project",)
    raw_id_fields = ("project",)
    readonly_fields = ("id", "created_at", "updated_at")
