"""Form widgets that render in Python.

Django renders a ``<select>`` through a template per option: the library's
filter form (type, genre, sort, project: ~30 options) cost more than the rest
of the library page on every request (issue 18 §6). ``FastSelect`` builds the
same markup — Django's own option context (``get_context``), escaped, with the
same attributes and ``selected`` marks — in one pass.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


class FastSelect(forms.Select):
    """A single-choice ``<select>`` rendered without a template per option."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{flatatt(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'<optgroup label="{escape(group_name)}">')
            for option in options:  # its attrs hold "selected" (Django's own context)
                parts.append(
                    f'<option value="{escape(option["value"])}"{flatatt(option["attrs"])}>'
                    f"{escape(option['label'])}</option>"
                )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value escaped above
