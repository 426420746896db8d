"""What every form of the site shares."""

from __future__ import annotations

from django.http import QueryDict

from narraforge.textclean import strip_control_chars


def clean_querydict(data):
    """A copy of submitted form data with control characters stripped from every value."""
    if not isinstance(data, QueryDict):
        return data
    cleaned = QueryDict(mutable=True)
    for key, values in data.lists():
        cleaned.setlist(strip_control_chars(key), [strip_control_chars(v) for v in values])
    cleaned._mutable = False
    return cleaned


class CleanInputMixin:
    """Strips control characters (\\x01, \\x1b, ...) from the submitted data before any field sees it.

    They are invisible, never meant, and break exports and terminals
    (narraforge.textclean); a form's own rules then judge what is left, so a
    title of nothing but control characters is "required" like an empty one.
    """

    def __init__(self, *args, **kwargs):
        if args:
            args = (clean_querydict(args[0]), *args[1:])
        elif "data" in kwargs:
            kwargs["data"] = clean_querydict(kwargs["data"])
        super().__init__(*args, **kwargs)
