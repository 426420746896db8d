"""``{% submission_field %}``: the one-time key of a job-starting form (see jobs.submissions)."""

from django import template
from django.utils.html import format_html

from jobs.submissions import FIELD, new_key

register = template.Library()


@register.simple_tag
def submission_field(key: str = "") -> str:
    """A hidden input with a fresh key, or with ``key`` when the page gives a stable one (resume)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, key or new_key())


@register.simple_tag
def resume_key(job) -> str:
    """A resume form's key, stable across the live panel's re-renders: one resume per attempt."""
    return f"resume-{job.pk}-{job.retry_count or 0}"
