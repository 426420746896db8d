"""Forms of the narrative library, reader and version pages."""

from __future__ import annotations

from django import forms

from narraforge.choices import Genre, ProductionType
from narraforge.fields import LongTextField
from narraforge.forms import CleanInputMixin
from narraforge.widgets import FastSelect
from narratives.edit_services import CHAPTER_TEXT_MAX, CHAPTER_TITLE_MAX, NOTE_MAX
from narratives.manuscript import MAX_UPLOAD_BYTES, MAX_UPLOAD_LABEL
from narratives.selectors import SORTS
from narratives.services import TITLE_MAX_LENGTH

_SORT_LABELS = {"newest": "Newest", "oldest": "Oldest", "words": "Most words", "quality": "Best quality"}
SORT_CHOICES = [(key, _SORT_LABELS[key]) for key in SORTS]


class LibraryFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title or text…"}),
    )
    # FastSelect: rendered on every library page (narraforge.widgets says why).
    project = forms.ChoiceField(label="Project", required=False, widget=FastSelect)
    production_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any type"), *ProductionType.choices], widget=FastSelect
    )
    genre = forms.ChoiceField(
        label="Genre", required=False, choices=[("", "Any genre"), *Genre.choices], widget=FastSelect
    )
    latest = forms.BooleanField(label="Latest versions only", required=False)
    sort = forms.ChoiceField(label="Sort", required=False, choices=SORT_CHOICES, widget=FastSelect)

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", "All projects"), *((p.pk, p.name) for p in projects)]

    def filters(self) -> dict:
        """Validated filters; invalid values are dropped rather than failing the page."""
        self.is_valid()  # fills cleaned_data with the fields that are valid
        data = self.cleaned_data
        return {
            "query": data.get("q") or "",
            "project_id": data.get("project") or None,
            "production_type": data.get("production_type") or None,
            "genre": data.get("genre") or None,
            "latest_only": bool(data.get("latest")),
            "sort": data.get("sort") or "newest",
        }


class RenameForm(CleanInputMixin, forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH, strip=True)

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("A title cannot be empty.")
        return title


class ReviseForm(CleanInputMixin, forms.Form):
    instructions = LongTextField(
        label="What should change?",
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "e.g. Make the ending darker and give Mara a final choice."}
        ),
        help_text="The revision runs as a new generation job; its result becomes the next version.",
    )


class CompareForm(forms.Form):
    """Which version to compare against (must be one of ``choices``: the same family)."""

    against = forms.ChoiceField(label="Compare with")

    def __init__(self, *args, family=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["against"].choices = [
            (n.pk, f"v{n.version} · {n.title or 'Untitled'} · {n.created_at:%Y-%m-%d %H:%M}")
            for n in family
            if current is None or n.pk != current.pk
        ]


class RenameCharacterForm(CleanInputMixin, forms.Form):
    """Rename one character throughout a narrative (a new version; works with the offline engine)."""

    old_name = forms.ChoiceField(label="Character")
    new_name = forms.CharField(
        label="New name",
        max_length=80,
        strip=True,
        help_text="Every mention changes, in a new version; in Polish the inflected forms too, "
        "when the dictionary knows both first names.",
    )

    def __init__(self, *args, cast=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_name"].choices = [(name, name) for name in cast]


class EditChapterForm(CleanInputMixin, forms.Form):
    """One chapter's title and text, as the writer edits them (plain text or Markdown)."""

    title = forms.CharField(label="Chapter title", required=False, max_length=CHAPTER_TITLE_MAX, strip=True)
    body = LongTextField(
        label="Text",
        max_length=CHAPTER_TEXT_MAX,
        strip=False,
        error_messages={"required": "The chapter is empty: write its text, or keep the old version."},
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true", "class": "editor__text"}),
        help_text="Plain text or Markdown; a blank line starts a new paragraph.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=NOTE_MAX,
        strip=True,
        help_text="Shown with the version, e.g. “tightened the opening”.",
    )
    base = forms.CharField(widget=forms.HiddenInput)


class ImportManuscriptForm(CleanInputMixin, forms.Form):
    """Upload a manuscript into one of the user's projects."""

    project = forms.ChoiceField(label="Project")
    file = forms.FileField(
        label="Manuscript",
        help_text=f"A .txt, .md or .docx file, at most {MAX_UPLOAD_LABEL}. Chapters are found from headings: "
        "“# Title” / “## Chapter”, “Chapter 1” or “Rozdział 1” lines, or Word's Heading styles.",
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.markdown,.docx", "data-max-bytes": ""}),
    )
    title = forms.CharField(
        label="Title (optional)",
        required=False,
        max_length=TITLE_MAX_LENGTH,
        strip=True,
        help_text="Leave empty to use the file's own title (its one top heading) or its name.",
    )
    genre = forms.ChoiceField(label="Genre", choices=Genre.choices)

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(p.pk, p.name) for p in projects]
        self.fields["file"].widget.attrs["data-max-bytes"] = str(MAX_UPLOAD_BYTES)
