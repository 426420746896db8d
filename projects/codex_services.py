"""Writes for a project's codex: its characters, places and lore (``CodexEntry``).

The codex rows are the source of truth for the project's cast and places. The
project's ``World`` JSON (``characters`` and ``bible["locations"]``), which the
brief's ``world`` and the pipeline read, is a projection of them:
``codex_project_world`` rewrites it after every codex write, inside the same
transaction. What the pipeline adds when a narrative completes goes the other
way once: ``codex_absorb_world`` turns new cast members and places into
entries, then the projection is rewritten from the codex.

Every write locks the project row first, so two concurrent edits cannot both
take one name, and refuses bad input with a ``CodexError`` before writing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from narraforge.errors import UserFacingError
from narraforge.textclean import strip_control_chars
from projects.models import CodexEntry, CodexKind, Project, World

NAME_MAX = 120
ALIAS_MAX = 120
ALIASES_MAX = 12
ROLE_MAX = 200
GOAL_MAX = 1000
DESCRIPTION_MAX = 2000
RELATIONSHIPS_MAX = 1000
ENTRIES_MAX = 300  # per project: the prompt only ever carries the relevant few
TRAITS = ("gender", "arc", "voice", "contradictions")  # engine-made cast traits kept in ``traits``


class CodexError(UserFacingError):
    """A refused codex write; nothing was written."""


def _line(value: Any) -> str:
    return " ".join(strip_control_chars(str(value or ""), multiline=False).split())


def _text(value: Any) -> str:
    return strip_control_chars(str(value or "")).strip()


def _aliases(value: Any, name: str) -> list[str]:
    raw = value.splitlines() if isinstance(value, str) else list(value or [])
    if isinstance(value, str) and len(raw) == 1:
        raw = raw[0].split(",")  # "Mira, the keeper" on one line
    out: list[str] = []
    for item in raw:
        alias = _line(item)
        if not alias or alias.casefold() == name.casefold():
            continue
        if len(alias) > ALIAS_MAX:
            raise CodexError(f"An alias can be at most {ALIAS_MAX} characters.", field="aliases")
        if alias.casefold() not in {a.casefold() for a in out}:
            out.append(alias)
    if len(out) > ALIASES_MAX:
        raise CodexError(f"At most {ALIASES_MAX} aliases per entry.", field="aliases")
    return out


def _clean(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The entry's fields, cleaned and checked for length; raises CodexError."""
    if kind not in CodexKind.values:
        raise CodexError("Choose a character, a place or lore.", field="kind")
    name = _line(fields.get("name"))
    if not name:
        raise CodexError("Give the entry a name.", field="name")
    if len(name) > NAME_MAX:
        raise CodexError(f"A name can be at most {NAME_MAX} characters.", field="name")
    if not any(ch.isalnum() for ch in name):
        raise CodexError("A name needs at least one letter or digit.", field="name")
    out: dict[str, Any] = {"name": name, "aliases": _aliases(fields.get("aliases"), name)}
    for field, limit, clean in (
        ("role", ROLE_MAX, _line),
        ("goal", GOAL_MAX, _line),
        ("description", DESCRIPTION_MAX, _text),
        ("relationships", RELATIONSHIPS_MAX, _text),
    ):
        value = clean(fields.get(field))
        if len(value) > limit:
            label = field.capitalize()
            message = f"{label} can be at most {limit:,} characters ({len(value):,} given)."
            raise CodexError(message, field=field)
        out[field] = value
    if kind != CodexKind.CHARACTER:  # only people have roles, goals and relationships
        out.update(role="", goal="", relationships="")
    return out


def _check_unique(project: Project, fields: dict[str, Any], *, exclude: str | None = None) -> None:
    """No name or alias of the project's codex may be used twice (a mention must name one entry)."""
    taken: dict[str, str] = {}
    for entry in CodexEntry.objects.filter(project=project).exclude(pk=exclude).only("name", "aliases"):
        for label in entry.names:
            taken.setdefault(label.casefold(), entry.name)
    for label, field in [(fields["name"], "name")] + [(a, "aliases") for a in fields["aliases"]]:
        owner = taken.get(label.casefold())
        if owner is not None:
            what = "the name" if owner.casefold() == label.casefold() else "an alias"
            raise CodexError(f"“{label}” is already {what} of {owner} in this codex.", field=field)


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


@transaction.atomic
def codex_entry_create(*, project: Project, kind: str, **fields: Any) -> CodexEntry:
    """Add an entry to the project's codex; refuses an empty, over-long or already-used name."""
    locked = _lock(project)
    clean = _clean(kind, fields)
    if CodexEntry.objects.filter(project=locked).count() >= ENTRIES_MAX:
        raise CodexError(f"A codex holds at most {ENTRIES_MAX} entries.")
    _check_unique(locked, clean)
    last = CodexEntry.objects.filter(project=locked).order_by("-position").values_list("position", flat=True)
    entry = CodexEntry.objects.create(project=locked, kind=kind, position=(last.first() or 0) + 1, **clean)
    codex_project_world(locked)
    return entry


@transaction.atomic
def codex_entry_update(*, entry: CodexEntry, **fields: Any) -> CodexEntry:
    """Change an entry (its kind stays); the caller compares names to offer a rename in narratives."""
    locked = _lock(entry.project)
    current = CodexEntry.objects.select_for_update().filter(pk=entry.pk, project=locked).first()
    if current is None:
        raise CodexError("That codex entry no longer exists.")
    clean = _clean(current.kind, {**_as_fields(current), **fields})
    _check_unique(locked, clean, exclude=current.pk)
    for field, value in clean.items():
        setattr(current, field, value)
    current.save()
    codex_project_world(locked)
    return current


@transaction.atomic
def codex_entry_delete(*, entry: CodexEntry) -> None:
    """Remove an entry; narratives already written keep their text (a codex is what comes next)."""
    locked = _lock(entry.project)
    CodexEntry.objects.filter(pk=entry.pk, project=locked).delete()
    codex_project_world(locked)


def _as_fields(entry: CodexEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "aliases": list(entry.aliases or []),
        "role": entry.role,
        "goal": entry.goal,
        "description": entry.description,
        "relationships": entry.relationships,
    }


# --- the world JSON, derived -----------------------------------------------------


def _character_json(entry: CodexEntry) -> dict[str, Any]:
    data: dict[str, Any] = {"name": entry.name, "role": entry.role, "goal": entry.goal}
    data.update({k: v for k, v in (entry.traits or {}).items() if k in TRAITS})
    for key in ("aliases", "description", "relationships"):
        if getattr(entry, key):
            data[key] = getattr(entry, key)
    return data


def codex_project_world(project: Project) -> World:
    """Rewrite the project's world JSON from its codex (creating the world on the first entry).

    The cast and the locations are the codex's; everything else in the world
    (name, theme, laws, boundaries, timeline) is the world form's and is kept.
    A location's description is never empty: the plan schema requires one.
    """
    world = None
    if project.world_id:
        world = World.objects.select_for_update().filter(pk=project.world_id, user_id=project.user_id).first()
    if world is None:
        world = World(user_id=project.user_id, name=project.name[:255], bible={"name": project.name[:255]})
    entries = list(CodexEntry.objects.filter(project=project))
    bible = dict(world.bible or {})
    bible["locations"] = [
        {"name": e.name, "description": e.description or e.name} for e in entries if e.kind == CodexKind.PLACE
    ]
    world.bible = bible
    world.characters = [_character_json(e) for e in entries if e.kind == CodexKind.CHARACTER]
    world.save()
    if project.world_id != world.pk:
        Project.objects.filter(pk=project.pk).update(world_id=world.pk)
        project.world_id = world.pk
    return world


def codex_absorb_world(*, project: Project, world: World) -> int:
    """Add the world JSON's cast members and places the codex does not know yet; returns how many.

    Called (inside the caller's transaction, project row locked) when a
    narrative gave the project its world or added to it. A name that is
    already a name or alias in the codex is the same entity and is skipped.
    """
    known: set[str] = set()
    last = 0
    for entry in CodexEntry.objects.filter(project=project).only("name", "aliases", "position"):
        known.update(label.casefold() for label in entry.names)
        last = max(last, entry.position)
    items = [(CodexKind.CHARACTER, c) for c in world.characters or []]
    items += [(CodexKind.PLACE, loc) for loc in (world.bible or {}).get("locations") or []]
    rows = []
    for kind, item in items:
        if not isinstance(item, dict):
            continue
        name = _line(item.get("name"))[:NAME_MAX]
        if not name or name.casefold() in known:
            continue
        known.add(name.casefold())
        last += 1
        rows.append(
            CodexEntry(
                project=project,
                kind=kind,
                name=name,
                role=_line(item.get("role"))[:ROLE_MAX] if kind == CodexKind.CHARACTER else "",
                goal=_line(item.get("goal"))[:GOAL_MAX] if kind == CodexKind.CHARACTER else "",
                description=_text(item.get("description"))[:DESCRIPTION_MAX],
                traits={k: item[k] for k in TRAITS if k in item} if kind == CodexKind.CHARACTER else {},
                position=last,
            )
        )
    if len(rows) + CodexEntry.objects.filter(project=project).count() > ENTRIES_MAX:
        rows = rows[: max(0, ENTRIES_MAX - CodexEntry.objects.filter(project=project).count())]
    CodexEntry.objects.bulk_create(rows)
    codex_project_world(project)
    return len(rows)
