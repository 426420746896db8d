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


INSTRUCTIONS_LIMIT = 4000
BRANCH_HELP = "A later version was made from this one; tick to make another version from it anyway."


class BranchMixin(forms.Form):
    branch = forms.BooleanField(
        label="Branch from this version anyway", required=False, help_text=BRANCH_HELP
    )


class ReviseForm(CleanInputMixin, BranchMixin, forms.Form):
    """Revise the ticked chapters (or all) with instructions: only those chapters change."""

    instructions = LongTextField(
        label="What should change?",
        min_length=10,
        max_length=INSTRUCTIONS_LIMIT,
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "e.g. Make the ending darker and give Mara a final choice."}
        ),
        help_text="Only the chapters you tick are rewritten; the others stay exactly as they are. "
        "The result becomes the next version.",
    )
    all_chapters = forms.BooleanField(label="All chapters", required=False)
    chapters = forms.MultipleChoiceField(
        label="Chapters to revise", required=False, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["instructions", "all_chapters", "chapters", "branch"]

    def __init__(self, *args, chapter_titles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chapters"].choices = [
            (str(i), f"{i}. {title}") for i, title in enumerate(chapter_titles, start=1)
        ]

    def clean(self):
        data = super().clean()
        if not data.get("all_chapters") and not data.get("chapters"):
            self.add_error("chapters", "Tick the chapters to revise, or “All chapters”.")
        return data

    def chosen(self) -> list[int] | None:
        """The ticked chapter numbers; None for all of them."""
        if self.cleaned_data.get("all_chapters"):
            return None
        return [int(n) for n in self.cleaned_data.get("chapters") or []]


class RegenerateForm(CleanInputMixin, BranchMixin, forms.Form):
    instructions = LongTextField(
        label="Instructions (optional)",
        required=False,
        max_length=INSTRUCTIONS_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "e.g. Let Tomas arrive by boat, at night."}),
        help_text="Leave empty to write the chapter again from its plan.",
    )
    field_order = ["instructions", "branch"]


class ContinueForm(CleanInputMixin, BranchMixin, forms.Form):
    count = forms.IntegerField(label="Chapters to add", min_value=1, max_value=20, initial=1)
    instructions = LongTextField(
        label="What should happen next? (optional)",
        required=False,
        max_length=INSTRUCTIONS_LIMIT,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "e.g. Winter comes; the brothers must cross the ice."}
        ),
    )
    field_order = ["count", "instructions", "branch"]


class NewChapterForm(CleanInputMixin, forms.Form):
    """One new chapter of a continuation's plan, as the writer edited it."""

    title = forms.CharField(label="Title", max_length=200)
    summary = LongTextField(label="What happens", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


NewChapterFormSet = forms.formset_factory(NewChapterForm, extra=0, min_num=1, max_num=20, validate_max=True)


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
