"""The codex entry form (project page and its edit pages)."""

from __future__ import annotations

from django import forms

from narraforge.forms import CleanInputMixin
from projects import codex_services as limits
from projects.models import CodexEntry, CodexKind

_HELP = {
    CodexKind.CHARACTER: "The name the story uses most, e.g. “Mira Vell”.",
    CodexKind.PLACE: "e.g. “The Salt Archive”.",
    CodexKind.LORE: "A short title for this piece of lore, e.g. “The drowned bells”.",
}
_DESCRIPTION_HELP = {
    CodexKind.CHARACTER: "Looks, manner, history: what the writer must keep true.",
    CodexKind.PLACE: "What it looks, sounds and smells like; who is found there.",
    CodexKind.LORE: "The fact, custom, legend or rule, as the story should treat it.",
}


class CodexEntryForm(CleanInputMixin, forms.Form):
    name = forms.CharField(max_length=limits.NAME_MAX, required=False)
    aliases = forms.CharField(
        required=False,
        max_length=limits.ALIASES_MAX * (limits.ALIAS_MAX + 2),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Other names the text uses, one per line or separated by commas: “Mira, the keeper”.",
    )
    role = forms.CharField(
        max_length=limits.ROLE_MAX, required=False, help_text="A noun: “lighthouse keeper”."
    )
    goal = forms.CharField(
        max_length=limits.GOAL_MAX, required=False, help_text="What follows “wants”: “to find her brother”."
    )
    description = forms.CharField(
        max_length=limits.DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    relationships = forms.CharField(
        max_length=limits.RELATIONSHIPS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: “Tomas: her younger brother”.",
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["name"].help_text = _HELP.get(kind, "")
        self.fields["description"].help_text = _DESCRIPTION_HELP.get(kind, "")
        if kind == CodexKind.LORE:
            self.fields["name"].label = "Title"
            self.fields["description"].label = "Text"
        if kind != CodexKind.CHARACTER:
            for name in ("role", "goal", "relationships"):
                del self.fields[name]

    def clean_name(self) -> str:
        name = " ".join((self.cleaned_data.get("name") or "").split())
        if not name:
            message = "Give it a title." if self.kind == CodexKind.LORE else "Give the entry a name."
            raise forms.ValidationError(message)
        return name

    @classmethod
    def for_entry(cls, entry: CodexEntry, data=None) -> CodexEntryForm:
        initial = {
            "name": entry.name,
            "aliases": "\n".join(entry.aliases or []),
            "role": entry.role,
            "goal": entry.goal,
            "description": entry.description,
            "relationships": entry.relationships,
        }
        return cls(data, initial=initial, kind=entry.kind)
