"""Small template helpers of the NarraForge UI."""

from django import template
from django.urls import NoReverseMatch, reverse

from narraforge.choices import LANGUAGE_LABELS, VALUE_LABELS

register = template.Library()


@register.simple_tag
def narrative_url(narrative_id) -> str:
    """The reader of a narrative (falls back to the plain path until the reader is routed)."""
    try:
        return reverse("narratives:detail", args=[narrative_id])
    except NoReverseMatch:
        return f"/narratives/{narrative_id}/"


@register.simple_tag
def library_url() -> str:
    for name in ("narratives:list", "narratives:library", "narratives:index"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/narratives/"


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
