"""Forms of the projects pages: the project and its world (its cast and places: codex_forms)."""

from __future__ import annotations

from django import forms

from narraforge.choices import Genre, ProductionType
from narraforge.forms import CleanInputMixin
from projects.models import Project

MAX_LINES = 200


class ProjectForm(CleanInputMixin, forms.Form):
    name = forms.CharField(max_length=255, help_text="A working title for the series or collection.")
    description = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. What this project is about.",
    )
    default_production_type = forms.ChoiceField(
        label="Default type",
        required=False,
        choices=[("", "No default")] + list(ProductionType.choices),
        help_text="Prefills the generation form.",
    )
    default_genre = forms.ChoiceField(
        label="Default genre",
        required=False,
        choices=[("", "No default")] + list(Genre.choices),
        help_text="Prefills the generation form.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the project a name.")
        return name

    @classmethod
    def for_project(cls, project: Project, data=None) -> ProjectForm:
        initial = {
            "name": project.name,
            "description": project.description or "",
            "default_production_type": project.default_production_type or "",
            "default_genre": project.default_genre or "",
        }
        return cls(data, initial=initial)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class LinesField(forms.CharField):
    """A textarea holding one item per line; cleans to a list of strings."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def clean(self, value):
        lines = _lines(super().clean(value))
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(f"At most {MAX_LINES} lines, please.")
        for line in lines:
            if len(line) > 1000:
                raise forms.ValidationError("Keep each line under 1,000 characters.")
        return lines


def _event_text(item) -> str:
    if isinstance(item, dict):
        when = item.get("when") or item.get("date") or item.get("segment") or ""
        what = item.get("event") or item.get("description") or item.get("summary") or ""
        return f"{when}: {what}" if when and what else str(what or when)
    return str(item)


class WorldForm(CleanInputMixin, forms.Form):
    name = forms.CharField(max_length=255, label="World name")
    theme = forms.CharField(max_length=1000, required=False)
    core_conflict = forms.CharField(
        label="Core conflict", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    laws = LinesField(label="Laws of the world", help_text="One per line: what is always true here.")
    boundaries = LinesField(help_text="One per line: what can never happen.")
    timeline = LinesField(
        label="Timeline of events",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One event per line, in order, optionally as “When: what happened”.",
    )

    @classmethod
    def for_world(cls, world, project: Project, data=None) -> WorldForm:
        bible = (world.bible if world else None) or {}
        initial = {
            "name": (world.name if world else "") or bible.get("name") or project.name,
            "theme": bible.get("theme", ""),
            "core_conflict": bible.get("core_conflict", ""),
            "laws": "\n".join(str(x) for x in bible.get("laws", [])),
            "boundaries": "\n".join(str(x) for x in bible.get("boundaries", [])),
            "timeline": "\n".join(_event_text(x) for x in ((world.timeline if world else None) or [])),
        }
        return cls(data, initial=initial)

    def clean_timeline(self) -> list[dict]:
        out = []
        for line in self.cleaned_data["timeline"]:
            when, sep, what = line.partition(":")
            if sep and what.strip() and len(when) <= 60:
                out.append({"when": when.strip(), "event": what.strip()})
            else:
                out.append({"when": "", "event": line})
        return out

    def bible(self, previous: dict | None) -> dict:
        data = dict(previous or {})
        data.update(
            name=self.cleaned_data["name"],
            theme=self.cleaned_data["theme"].strip(),
            core_conflict=self.cleaned_data["core_conflict"].strip(),
            laws=self.cleaned_data["laws"],
            boundaries=self.cleaned_data["boundaries"],
        )
        return data
