"""Small template helpers of the NarraForge UI."""

import re
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

from narraforge.choices import LANGUAGE_LABELS, VALUE_LABELS

register = template.Library()

# A placeholder id reversed once; the real id is put in its place (ids are UUIDs or ints).
_ID = "0f0f0f0f-0000-4000-8000-0f0f0f0f0f0f"
_PLAIN_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


@lru_cache(maxsize=512)
def _reversed(name: str, prefix: str, urlconf: str | None, with_id: bool) -> str:
    return reverse(name, args=[_ID] if with_id else None, urlconf=urlconf)


def cached_path(name: str, object_id=None) -> str:
    """``reverse(name)`` or ``reverse(name, args=[object_id])``, reversed once per process.

    Every signed-in page reverses the same ~20 names (header, menu, lists): a
    reverse is tens of microseconds, a dictionary lookup is not (issue 18 §6).
    Keyed by the script prefix and urlconf too, so a mounted site gets its own.
    """
    if object_id is None:
        return _reversed(name, get_script_prefix(), get_urlconf(), False)
    text = str(object_id)
    if not _PLAIN_ID.fullmatch(text):  # anything unusual goes through reverse() and its checks
        return reverse(name, args=[object_id])
    return _reversed(name, get_script_prefix(), get_urlconf(), True).replace(_ID, text)


@register.simple_tag
def path(name: str, object_id=None) -> str:
    """``{% path 'projects:list' %}`` / ``{% path 'narratives:detail' n.pk %}``: like ``{% url %}``
    for a name with no argument or one id, reversed once per process."""
    return cached_path(name, object_id)


# The main destinations: (url name, label, the sections and url names that mark it current).
# The header shows them inline on wide screens and in the menu on phones.
NAV_LINKS = (
    ("home", "Dashboard", lambda section, name: name == "home"),
    ("projects:list", "Projects", lambda section, name: section == "projects"),
    ("jobs:list", "Jobs", lambda section, name: section == "jobs"),
    ("narratives:library", "Library", lambda section, name: section == "narratives"),
    ("billing:usage", "Usage", lambda section, name: section == "billing" and name == "usage"),
)


@lru_cache(maxsize=256)
def _nav_html(section: str, url_name: str, prefix: str, urlconf: str | None) -> str:
    items = []
    for name, text, current in NAV_LINKS:
        mark = ' aria-current="page"' if current(section, url_name) else ""
        items.append(f'<li><a href="{cached_path(name)}"{mark}>{text}</a></li>')
    return "\n".join(items)


@register.simple_tag(takes_context=True)
def nav_links(context) -> SafeString:
    """The main navigation's <li> items, built once per page kind and process (every page has
    them twice: the header and the phone menu; as an include they were a fifth of a page)."""
    match = getattr(context.get("request"), "resolver_match", None)
    section = (match.namespace if match else "") or ""
    url_name = (match.url_name if match else "") or ""
    return mark_safe(_nav_html(section, url_name, get_script_prefix(), get_urlconf()))  # noqa: S308 - fixed labels


@register.simple_tag
def narrative_url(narrative_id) -> str:
    """The reader of a narrative."""
    return cached_path("narratives:detail", narrative_id)


@register.simple_tag
def library_url() -> str:
    return cached_path("narratives:library")


@register.filter
def duration(seconds) -> str:
    """Seconds as a short human duration: 45s, 3m 05s, 1h 02m."""
    if seconds is None or seconds == "":
        return "—"
    try:
        total = max(0, int(round(float(seconds))))
    except (TypeError, ValueError):
        return "—"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@register.filter
def usd(value) -> str:
    """Dollars with cents, or four decimals for sub-cent amounts (offline runs cost $0.00)."""
    try:
        amount = float(value or 0)
    except (TypeError, ValueError):
        return "—"
    if 0 < amount < 0.01:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"


@register.filter
def label(value) -> str:
    """A brief's value as a writer reads it: three_act -> Three acts, scifi -> Science fiction.

    Values without a known label read as words: a_new_value -> A new value.
    """
    key = str(value or "").strip()
    if key.lower() in VALUE_LABELS:
        return VALUE_LABELS[key.lower()]
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


@register.filter
def language_name(code) -> str:
    """en -> English; an unknown code stays as it is, in capitals."""
    code = str(code or "").strip().lower()
    return LANGUAGE_LABELS.get(code, code.upper())


@register.filter
def lines(value) -> str:
    """A list as one item per line (for textareas); autoescaped on output like any string."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return "\n".join(str(v) for v in value)
