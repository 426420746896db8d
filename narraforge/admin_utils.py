"""Small helpers the apps' admin modules share."""

import json

from django.urls import reverse
from django.utils.html import format_html


def pretty_json(value) -> str:
    """JSON shown readably (escaped, monospaced, scrollable) in admin detail pages."""
    if value in (None, "", [], {}):
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    # Styled by static/css/admin.css: the CSP forbids inline style attributes.
    return format_html('<pre class="nf-json">{}</pre>', text)


def admin_link(obj, label: str | None = None) -> str:
    """A link to an object's admin change page, or a dash."""
    if obj is None:
        return "—"
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


def money(value) -> str:
    return "—" if value is None else f"${value:,.4f}"
