"""Staff see writers' connections with the key masked; nothing here can show or change the key.

The change page is read-only (a connection is changed by its owner, or with
``manage.py set_model_connection``): the encrypted token is not even a field
of the form, so neither the page nor a crafted POST can read or replace it.
Deleting is allowed (a leaked key's connection can be removed at once).
"""

from django.contrib import admin

from connections.models import JobConnection, ModelConnection
from narraforge.admin_utils import admin_link


@admin.register(ModelConnection)
class ModelConnectionAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "base_url",
        "key",
        "model_mini",
        "model_gpt4",
        "is_default",
        "updated_at",
    )
    list_filter = ("preset", "json_mode", "is_default")
    search_fields = ("name", "user__email", "base_url", "model_mini", "model_gpt4")
    list_select_related = ("user",)
    ordering = ("user__email", "name")
    exclude = ("api_key_encrypted", "api_key_hint")
    readonly_fields = (
        "id",
        "owner",
        "name",
        "preset",
        "base_url",
        "key",
        "model_mini",
        "model_gpt4",
        "context_window",
        "json_mode",
        "price_mini_input",
        "price_mini_output",
        "price_gpt4_input",
        "price_gpt4_output",
        "is_default",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, obj: ModelConnection) -> str:
        return admin_link(obj.user, obj.user.email)

    @admin.display(description="API key")
    def key(self, obj: ModelConnection) -> str:
        return obj.masked_key

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewing only: the page lists the fields read-only and accepts no edit.
        return False


@admin.register(JobConnection)
class JobConnectionAdmin(admin.ModelAdmin):
    list_display = ("job_id", "name", "own_key", "engine", "created_at")
    list_filter = ("own_key", "engine")
    search_fields = ("job__id", "name")
    readonly_fields = (
        "job",
        "connection",
        "own_key",
        "name",
        "base_url",
        "tier_models",
        "engine",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
