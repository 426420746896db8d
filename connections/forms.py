"""The "Model connection" form: a preset picker that fills the fields, a write-only key, prices.

The form only shapes the input; ``connections.services`` validates it (the
same messages as ``manage.py set_model_connection``) and a refusal lands on
the field it names (``add_service_error``). The key field never renders a
value: after saving, the page shows its masked hint, and an empty key field
on edit keeps the stored key.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from connections.models import MODEL_MAX_LENGTH, NAME_MAX_LENGTH, URL_MAX_LENGTH, JsonMode, ModelConnection
from jobs.pipeline.hostguard import UnsafeURL, check_base_url
from jobs.pipeline.presets import PRESETS, preset_for
from narraforge.errors import UserFacingError
from narraforge.forms import CleanInputMixin

PRICE_FIELDS = ("price_mini_input", "price_mini_output", "price_gpt4_input", "price_gpt4_output")
SERVICE_FIELDS = (
    "name",
    "preset",
    "base_url",
    "model_mini",
    "model_gpt4",
    "context_window",
    "json_mode",
    *PRICE_FIELDS,
)


def _price(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_digits=10,
        decimal_places=4,
        initial=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class ConnectionForm(CleanInputMixin, forms.Form):
    preset = forms.ChoiceField(
        label="Kind of server",
        required=False,
        choices=[("", "Choose a preset…"), *[(p.key, p.label) for p in PRESETS]],
        help_text="Fills the address, models, JSON mode and prices with the usual values; change any.",
    )
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="How the generation form names it, e.g. “My OpenAI key” or “Home llama”.",
    )
    base_url = forms.CharField(
        label="Base URL",
        max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://api.openai.com/v1", "spellcheck": "false"}),
        help_text="The server's OpenAI-compatible address, usually ending in /v1. "
        "Only this host is ever called.",
    )
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Stored encrypted, never shown again. "
        "Local servers (Ollama, LM Studio, llama.cpp) need none.",
    )
    remove_key = forms.BooleanField(
        label="Remove the stored key", required=False, help_text="For a server that needs no key."
    )
    model_mini = forms.CharField(
        label="Model for planning and checks (mini)",
        max_length=MODEL_MAX_LENGTH,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        help_text="Plans the story and checks it: a small, cheap model is fine.",
    )
    model_gpt4 = forms.CharField(
        label="Model for writing the prose (gpt4)",
        max_length=MODEL_MAX_LENGTH,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        help_text="Writes every chapter: the best model you can afford.",
    )
    context_window = forms.IntegerField(
        label="Context window (tokens)",
        required=False,
        min_value=512,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "ask the server"}),
        help_text="Leave empty to use what the server states (or 128,000). “Test connection” shows it.",
    )
    json_mode = forms.ChoiceField(
        label="JSON mode",
        choices=JsonMode.choices,
        initial=JsonMode.AUTO,
        help_text="How structured answers are asked for. “Detect” tries each and remembers what works.",
    )
    price_mini_input = _price("Mini: input, $ per 1M tokens")
    price_mini_output = _price("Mini: output, $ per 1M tokens")
    price_gpt4_input = _price("Gpt4: input, $ per 1M tokens")
    price_gpt4_output = _price("Gpt4: output, $ per 1M tokens")
    is_default = forms.BooleanField(
        label="Write my jobs with this connection by default",
        required=False,
        help_text="The generation form can still choose another one for a job.",
    )

    def __init__(self, *args: Any, instance: ModelConnection | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(instance, name) for name in (*SERVICE_FIELDS, "is_default")}
        super().__init__(*args, **kwargs)
        if instance is None:
            del self.fields["remove_key"]
        else:
            key = self.fields["api_key"]
            key.help_text = (
                f"Stored: {instance.masked_key}. Leave empty to keep it; type a new key to replace it."
                if instance.has_key
                else "No key is stored. Type one if the server needs it."
            )
            key.widget.attrs["placeholder"] = instance.masked_key if instance.has_key else ""
            if not instance.has_key:
                del self.fields["remove_key"]

    def clean_base_url(self) -> str:
        # The service checks it too; here the writer gets the guard's sentence on the field itself.
        url = self.cleaned_data.get("base_url") or ""
        try:
            check_base_url(url, allow_private=bool(getattr(settings, "NF_ALLOW_PRIVATE_MODEL_HOSTS", False)))
        except UnsafeURL as exc:
            raise forms.ValidationError(str(exc)) from None
        return url.strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("remove_key") and data.get("api_key"):
            self.add_error("api_key", "Either type a new key or remove the stored one, not both.")
        return data

    def service_fields(self) -> dict[str, Any]:
        """What ``connection_create`` / ``connection_update`` take (the key apart: see ``key_change``)."""
        data = self.cleaned_data
        out: dict[str, Any] = {name: data.get(name) for name in SERVICE_FIELDS}
        for name in PRICE_FIELDS:
            out[name] = float(data.get(name) or 0)
        out["preset"] = data.get("preset") or ""
        out["is_default"] = bool(data.get("is_default"))
        return out

    def key_change(self) -> str | None:
        """The key to store: the typed one, "" to remove it, None to keep the stored one (edit)."""
        typed = self.cleaned_data.get("api_key") or ""
        if self.instance is None:
            return typed
        if self.cleaned_data.get("remove_key"):
            return ""
        return typed or None

    def add_service_error(self, exc: UserFacingError) -> None:
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, str(exc))


def preset_hint(key: str) -> str:
    preset = preset_for(key)
    return preset.hint if preset else ""
