"""The generation form and the plan editor of the plan-review page.

Both validate with the engine's own rules (``jobs.pipeline.Brief`` and
``Plan``), so the browser shows exactly the messages the pipeline would give.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms

from connections.selectors import (
    ConnectionInfo,
    connection_info,
    connections_for_user,
    operator_connection,
    what_will_write,
)
from jobs.pipeline import (
    GENRES,
    LANGUAGES,
    POVS,
    PRODUCTION_TYPES,
    STRUCTURES,
    TENSES,
    TONES,
    Brief,
    BriefError,
    PipelineError,
    Plan,
)
from jobs.pipeline.brief import MAX_INSPIRATION, MAX_NOTES, MAX_TITLE
from jobs.pipeline.plan_bounds import MAX_SEGMENTS, max_segments, plan_bound_problems, plan_words_range
from jobs.pipeline.polish import DEFAULT_POLISH, POLISH_LABELS, POLISH_MODES
from jobs.plan_codex import PlanCodexMixin
from narraforge.choices import LANGUAGE_LABELS, POV_LABELS, STRUCTURE_LABELS, Genre, ProductionType
from narraforge.fields import LongTextField
from narraforge.forms import CleanInputMixin, clean_querydict

INSPIRATION_PLACEHOLDER = (
    "A lighthouse keeper finds letters addressed to someone who will not be born for a hundred years…"
)


def _choices(values, labels: dict[str, str] | None = None):
    labels = labels or {}
    return [(v, labels.get(v) or v.replace("_", " ").capitalize()) for v in values]


def type_label(ptype: str) -> str:
    return dict(ProductionType.choices).get(ptype, ptype.replace("_", " "))


def words_range_message(ptype: str) -> str:
    """The length rule of a production type in a writer's words: "A short story is 5,000 to 10,000 words."."""
    low, high = Brief.type_range(ptype)
    name = type_label(ptype).lower()
    article = "An" if name[:1] in "aeiou" else "A"
    usual = Brief.default_words(ptype)
    return (
        f"{article} {name} is {low:,} to {high:,} words. "
        f"Choose a length in that range, or leave it empty for about {usual:,}."
    )


class WordsField(forms.IntegerField):
    """A word count; "7,500" and "7 500" are read as 7500 (the range is checked with the type)."""

    default_error_messages = {"invalid": "Write the length as a whole number of words, like 7500."}

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace("_", "").replace(" ", "").replace("\u00a0", "").strip()
        return super().to_python(value)


def words_help() -> str:
    parts = []
    for ptype in PRODUCTION_TYPES:
        low, high = Brief.type_range(ptype)
        label = dict(ProductionType.choices).get(ptype, ptype)
        parts.append(f"{label} {low:,}–{high:,}")
    return "Leave empty for the type's usual length. Ranges: " + "; ".join(parts) + "."


class GenerationForm(CleanInputMixin, forms.Form):
    """The production brief. ``brief`` holds the validated dict after is_valid()."""

    production_type = forms.ChoiceField(
        label="Type", choices=_choices(PRODUCTION_TYPES, dict(ProductionType.choices))
    )
    genre = forms.ChoiceField(choices=_choices(GENRES, dict(Genre.choices)))
    title = forms.CharField(
        required=False, max_length=MAX_TITLE, help_text="Optional. Left empty, the engine proposes one."
    )
    inspiration = LongTextField(
        max_length=MAX_INSPIRATION,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": INSPIRATION_PLACEHOLDER}),
        help_text=f"The idea, premise or scene that starts it all. Up to {MAX_INSPIRATION:,} characters.",
    )
    language = forms.ChoiceField(choices=_choices(LANGUAGES, LANGUAGE_LABELS), initial="en")
    target_words = WordsField(
        label="Length (words)",
        required=False,
        widget=forms.NumberInput(attrs={"step": 500, "inputmode": "numeric"}),
    )
    tone = forms.ChoiceField(choices=_choices(TONES), initial="neutral")
    structure = forms.ChoiceField(choices=_choices(STRUCTURES, STRUCTURE_LABELS), initial="three_act")
    pov = forms.ChoiceField(
        label="Point of view", choices=_choices(POVS, POV_LABELS), initial="third_limited"
    )
    tense = forms.ChoiceField(choices=_choices(TENSES), initial="past")
    world_notes = LongTextField(
        label="World notes",
        required=False,
        max_length=MAX_NOTES,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. Places, rules or people the story must respect.",
    )
    polish = forms.ChoiceField(
        label="Polishing pass",
        choices=_choices(POLISH_MODES, POLISH_LABELS),
        initial=DEFAULT_POLISH,
        required=False,
        help_text="After drafting, the local checks read every chapter for repetition, stock phrases, "
        "broken dialogue punctuation and short chapters. Flagged: only those chapters are revised, with "
        "the reason. Every: a full line edit of each chapter. The estimate shows each option's cost.",
    )
    # Only in a project that has a world (series canon): continue it (the default) or start anew.
    world_choice = forms.ChoiceField(
        label="World",
        required=False,
        initial="continue",
        widget=forms.RadioSelect,
        choices=[("continue", "Continue the project's world"), ("new", "Start a new world")],
    )
    review_plan = forms.BooleanField(
        label="Let me review the plan first",
        required=False,
        help_text="Stop after planning so you can edit the world, characters and segments before writing.",
    )

    BRIEF_FIELDS = (
        "production_type",
        "genre",
        "title",
        "inspiration",
        "language",
        "target_words",
        "tone",
        "structure",
        "pov",
        "tense",
        "world_notes",
        "polish",
        "review_plan",
    )

    def __init__(self, *args, project=None, user=None, world=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_words"].help_text = words_help()
        if user is not None:
            self.fields["connection"] = connection_field(user)
        self.world_summary = world_summary(world)
        if self.world_summary is None:
            del self.fields["world_choice"]
        else:
            name = self.world_summary["name"]
            self.fields["world_choice"].choices = [
                ("continue", f"Continue {name}"),
                ("new", "Start a new world"),
            ]
        if project is not None and not self.is_bound:
            if project.default_production_type:
                self.initial.setdefault("production_type", project.default_production_type)
            if project.default_genre:
                self.initial.setdefault("genre", project.default_genre)
        self.brief: dict[str, Any] | None = None

    @property
    def new_world(self) -> bool:
        """The writer chose "Start a new world" (only offered when the project has one)."""
        return "world_choice" in self.fields and self.cleaned_data.get("world_choice") == "new"

    def raw_brief(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.BRIEF_FIELDS}
        data["target_words"] = data["target_words"] or None
        data["review_plan"] = bool(data["review_plan"])
        data["polish"] = data["polish"] or None  # not sent (an older page): the default pass
        return data

    def clean(self):
        cleaned = super().clean()
        words, ptype = cleaned.get("target_words"), cleaned.get("production_type")
        if words is not None and ptype and "target_words" not in self.errors:
            low, high = Brief.type_range(ptype)
            if not low <= words <= high:  # 0 and negatives too: an empty box means "the usual length"
                self.add_error("target_words", words_range_message(ptype))
        if self.errors:
            return cleaned
        raw = self.raw_brief()
        try:
            brief = Brief.from_dict(raw)
        except BriefError as exc:
            target = exc.field if exc.field in self.fields else None
            self.add_error(target, _brief_message(exc))
            return cleaned
        full = brief.to_dict()
        self.brief = {name: full[name] for name in self.BRIEF_FIELDS}
        return cleaned


CAST_SHOWN = 4


def world_summary(world: dict[str, Any] | None) -> dict[str, Any] | None:
    """The project's world as the form names it: its name and "Mara, Tomas and 3 more"."""
    if not world:
        return None
    name = str((world.get("world") or {}).get("name") or "").strip()
    if not name:
        return None
    names = [str(c.get("name")).strip() for c in world.get("characters") or [] if isinstance(c, dict)]
    names = [n for n in names if n]
    shown = names[:CAST_SHOWN]
    more = len(names) - len(shown)
    if not shown:
        cast_text = ""
    elif more:
        cast_text = f"{', '.join(shown)} and {more} more"
    elif len(shown) == 1:
        cast_text = shown[0]
    else:
        cast_text = f"{', '.join(shown[:-1])} and {shown[-1]}"
    return {"name": name, "cast": names, "cast_text": cast_text}


def _connection_label(info: ConnectionInfo) -> str:
    if info.is_offline:
        return f"{info.name} (free, not a language model)"
    return f"{info.name} — {info.models.get('gpt4', '')}"


def connection_field(user) -> forms.ChoiceField:
    """Which connection writes this job: the server's default or one of the user's (theirs only).

    The initial choice is what writes their jobs by default; a posted id that
    is not theirs fails here ("not one of the choices") and in the service.
    """
    server = operator_connection()
    choices = [(server.id, _connection_label(server))]
    choices += [(row.pk, _connection_label(connection_info(row))) for row in connections_for_user(user=user)]
    return forms.ChoiceField(
        label="Written by",
        choices=choices,
        required=False,  # not sent (an older page, a script): the writer's default writes
        initial=what_will_write(user=user).id,
        help_text="The connection and models that write this job; the estimate uses its prices.",
    )


def _brief_message(exc: BriefError) -> str:
    text = str(exc)
    prefix = f"{exc.field}: "
    if text.startswith(prefix):
        text = text[len(prefix) :]
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def estimate_data(form: GenerationForm) -> dict[str, Any]:
    """What the browser submits for an untouched form: initial values, else each select's first option."""
    data: dict[str, Any] = {}
    for name in GenerationForm.BRIEF_FIELDS:
        value = form[name].value()
        field = form.fields[name]
        if value in (None, "") and isinstance(field, forms.ChoiceField) and field.choices:
            value = field.choices[0][0]
        if value not in (None, "", False):
            data[name] = value
    return data


def estimate_brief(data) -> tuple[dict[str, Any] | None, str]:
    """A brief for the live estimate from a half-filled form: (brief, problem).

    The very same form validates it (only an empty inspiration is filled in:
    the cost does not depend on it), so the estimate refuses exactly what
    "Start writing" would refuse, with the same words.
    """
    values = estimate_data(GenerationForm())  # a field left out of the request keeps its default
    values.update({n: data.get(n) for n in GenerationForm.BRIEF_FIELDS if data.get(n) is not None})
    if not str(values.get("inspiration") or "").strip():
        values["inspiration"] = "estimate"
    form = GenerationForm(values)
    if form.is_valid():
        return form.brief, ""
    return None, form_problem(form)


def form_problem(form: forms.Form) -> str:
    """The one message the estimate shows: the length's first, then any other field's, then the form's."""
    errors = form.errors
    for name in ["target_words", *[n for n in form.fields if n != "target_words"]]:
        if name in errors:
            message = errors[name][0]
            return message if name == "target_words" else f"{form[name].label}: {message}"
    non_field = form.non_field_errors()
    return non_field[0] if non_field else "Fill in the brief to see the cost."


# --------------------------------------------------------------------------- plan review


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PlanEditor(PlanCodexMixin):
    """The editable plan of a planning job, round-tripped through the review form.

    Only the parts a writer edits come from the form; everything else (the
    interpretation, pacing, beats, character voices) is kept from ``base``.
    Structural operations (add, remove, move) re-render without validating;
    ``is_valid()`` checks each field, then the engine's own Plan rules.
    """

    def __init__(
        self,
        base: dict[str, Any],
        data=None,
        *,
        production_type: str | None = None,
        brief: dict[str, Any] | None = None,
    ) -> None:
        self.base = base
        self.production_type = production_type  # the brief's: bounds the plan's words and segments
        self.data = data = clean_querydict(data)
        self.plan = copy.deepcopy(base)
        self.segment_errors: dict[int, dict[str, str]] = {}
        self.errors: list[str] = []
        self._init_codex(brief)  # the cast, places and lore of this story (jobs.plan_codex)
        if data is not None:
            self._read(data)

    # --- reading the form ------------------------------------------------------
    def _read(self, data) -> None:
        world = self.plan.setdefault("world", {})
        for key in ("name", "theme", "core_conflict"):
            if f"world-{key}" in data:
                world[key] = data.get(f"world-{key}", "").strip()
        for key in ("laws", "boundaries"):
            if f"world-{key}" in data:
                world[key] = _lines(data.get(f"world-{key}", ""))
        self._read_codex(data)
        for i, char in enumerate(self.plan.get("characters", []) if "char-count" not in data else []):
            for key in ("role", "goal", "arc"):
                name = f"char-{i}-{key}"
                if name in data:
                    char[key] = data.get(name, "").strip()
        for i, act in enumerate(self.plan.get("structure", {}).get("acts", [])):
            for key in ("name", "purpose"):
                name = f"act-{i}-{key}"
                if name in data:
                    act[key] = data.get(name, "").strip()
        if "seg-count" in data:
            try:
                count = min(int(data.get("seg-count", 0)), MAX_SEGMENTS)
            except ValueError:
                count = 0
            self.plan["segments"] = [self._read_segment(data, i) for i in range(count)]
        self._apply_renames()
        self._reindex()

    def _read_segment(self, data, i: int) -> dict[str, Any]:
        seg: dict[str, Any] = {
            "title": data.get(f"seg-{i}-title", "").strip(),
            "summary": data.get(f"seg-{i}-summary", "").strip(),
            "key_events": _lines(data.get(f"seg-{i}-key_events", "")),
            "characters": [c for c in data.getlist(f"seg-{i}-characters") if c],
            "location": data.get(f"seg-{i}-location", "").strip(),
        }
        for key in ("act", "target_words"):
            raw = data.get(f"seg-{i}-{key}", "").strip()
            try:
                seg[key] = int(raw)
            except ValueError:
                seg[key] = raw
        return seg

    def _reindex(self) -> None:
        for i, seg in enumerate(self.plan.get("segments", []), start=1):
            seg["index"] = i

    # --- structural operations -------------------------------------------------
    def apply(self, op: str) -> bool:
        """Add, remove or move a segment, character, place or lore entry; True when the op was one."""
        if self._apply_codex_op(op):
            return True
        segs = self.plan.setdefault("segments", [])
        kind, _, arg = (op or "").partition("-")
        try:
            pos = int(arg) if arg else None
        except ValueError:
            return False
        if kind == "add":
            limit = (
                max_segments(self.production_type)
                if self.production_type in PRODUCTION_TYPES
                else MAX_SEGMENTS
            )
            if len(segs) >= limit:
                self.errors.append(f"This plan holds at most {limit} segments.")
                return True
            after = pos if pos is not None and 0 <= pos < len(segs) else len(segs) - 1
            ref = segs[after] if segs else {}
            sizes = [s.get("target_words") for s in segs if isinstance(s.get("target_words"), int)]
            new = {
                "title": "",
                "summary": "",
                "key_events": [],
                "characters": [],
                "location": ref.get("location") or next(iter(self._locations()), ""),
                "act": ref.get("act") or (self._acts()[0][0] if self._acts() else 1),
                "target_words": int(sum(sizes) / len(sizes)) if sizes else 1000,
            }
            segs.insert(after + 1, new)
        elif kind == "remove" and pos is not None and 0 <= pos < len(segs):
            if len(segs) == 1:
                self.errors.append("A plan needs at least one segment.")
            else:
                segs.pop(pos)
        elif kind == "up" and pos is not None and 0 < pos < len(segs):
            segs[pos - 1], segs[pos] = segs[pos], segs[pos - 1]
        elif kind == "down" and pos is not None and 0 <= pos < len(segs) - 1:
            segs[pos + 1], segs[pos] = segs[pos], segs[pos + 1]
        else:
            return False
        self._reindex()
        return True

    # --- validation ------------------------------------------------------------
    def _cast(self) -> list[str]:
        return [c.get("name", "") for c in self.plan.get("characters", [])]

    def _locations(self) -> list[str]:
        return [loc.get("name", "") for loc in self.plan.get("world", {}).get("locations", [])]

    def _acts(self) -> list[tuple[int, str]]:
        return [(a.get("number"), a.get("name", "")) for a in self.plan.get("structure", {}).get("acts", [])]

    def is_valid(self) -> bool:
        self.segment_errors = {}
        self._codex_valid()
        cast, places = set(self._cast()), set(self._locations())
        acts = {number for number, _ in self._acts()}
        world = self.plan.get("world", {})
        for key, label in (
            ("name", "The world needs a name."),
            ("theme", "The world needs a theme."),
            ("core_conflict", "The world needs a core conflict."),
        ):
            if not str(world.get(key, "")).strip():
                self.errors.append(label)
        if not world.get("laws"):
            self.errors.append("The world needs at least one law.")
        if not world.get("boundaries"):
            self.errors.append("The world needs at least one boundary.")
        segs = self.plan.get("segments", [])
        if not segs:
            self.errors.append("A plan needs at least one segment.")
        for i, seg in enumerate(segs):
            problems: dict[str, str] = {}
            if not seg.get("title"):
                problems["title"] = "Give the segment a title."
            if not seg.get("summary"):
                problems["summary"] = "Write a short summary."
            if not seg.get("key_events"):
                problems["key_events"] = "List at least one key event."
            if not seg.get("characters"):
                problems["characters"] = "Pick at least one character."
            elif any(c not in cast for c in seg["characters"]):
                problems["characters"] = "Pick characters from the cast."
            if seg.get("location") not in places:
                problems["location"] = "Pick a location of the world."
            if seg.get("act") not in acts:
                problems["act"] = "Pick an act."
            words = seg.get("target_words")
            if not isinstance(words, int) or words < 50:
                problems["target_words"] = "At least 50 words."
            elif words > 50_000:
                problems["target_words"] = "At most 50,000 words per segment."
            if problems:
                self.segment_errors[i] = problems
        if self.production_type in PRODUCTION_TYPES:
            for problem in plan_bound_problems(self.plan, self.production_type):
                self.errors.append(problem.message)
                if problem.segment is not None:
                    seg_errors = self.segment_errors.setdefault(problem.segment, {})
                    seg_errors.setdefault("target_words", problem.segment_message)
        for i, act in enumerate(self.plan.get("structure", {}).get("acts", [])):
            if not act.get("name") or not act.get("purpose"):
                self.errors.append(f"Act {i + 1} needs a name and a purpose.")
        for i, char in enumerate(self.plan.get("characters", [])):
            if not all(char.get(k) for k in ("role", "goal", "arc")):
                who = char.get("name") or f"Character {i + 1}"
                self.errors.append(f"{who} needs a role, a goal and an arc.")
        if self.errors or self.segment_errors:
            if self.segment_errors:
                n = len(self.segment_errors)
                noun = "segment needs" if n == 1 else "segments need"
                self.errors.insert(0, f"{n} {noun} attention.")
            return False
        try:
            Plan.from_dict(self.plan)
        except PipelineError as exc:
            self.errors.append(str(exc))
            return False
        return True

    # --- rendering -------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        segs = self.plan.get("segments", [])
        return [
            {
                "i": i,
                "seg": seg,
                "errors": self.segment_errors.get(i, {}),
                "first": i == 0,
                "last": i == len(segs) - 1,
            }
            for i, seg in enumerate(segs)
        ]

    def total_words(self) -> int:
        sizes = [s.get("target_words") for s in self.plan.get("segments", [])]
        return sum(w for w in sizes if isinstance(w, int))

    def context(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "rows": self.rows(),
            "cast": self._cast(),
            "locations": self._locations(),
            "acts": self._acts(),
            "plan_errors": self.errors,
            "total_words": self.total_words(),
            "bounds": self.bounds(),
            **self.codex_context(),
        }

    def bounds(self) -> dict[str, int] | None:
        """What this plan may total and how many segments it may hold (shown beside the totals)."""
        if self.production_type not in PRODUCTION_TYPES:
            return None
        low, high = plan_words_range(self.production_type)
        return {"low": low, "high": high, "segments": max_segments(self.production_type)}
