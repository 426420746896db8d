"""Writes for projects. Views, commands and tasks call these, never the ORM directly."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from narraforge.textclean import clean_data, strip_control_chars
from projects.codex_services import codex_absorb_world, codex_project_world
from projects.models import Project, World


@transaction.atomic
def project_create(
    *,
    user: User,
    name: str,
    description: str = "",
    default_genre: str | None = None,
    default_production_type: str | None = None,
) -> Project:
    project = Project(
        user=user,
        name=strip_control_chars(name or "", multiline=False).strip(),
        description=strip_control_chars(description or "").strip() or None,
        default_genre=default_genre or None,
        default_production_type=default_production_type or None,
    )
    project.full_clean()
    project.save()
    return project


_EDITABLE = ("name", "description", "default_genre", "default_production_type")


@transaction.atomic
def project_update(*, project: Project, **changes) -> Project:
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))} of a project.")
    for field, value in changes.items():
        if isinstance(value, str):
            value = strip_control_chars(value, multiline=field != "description").strip()
        setattr(project, field, value or (None if field != "name" else value))
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete a project; PostgreSQL cascades its jobs and narratives (usage logs keep a NULL project)."""
    project.delete()


@transaction.atomic
def world_update(
    *,
    project: Project,
    name: str,
    bible: dict,
    timeline: list,
) -> World:
    """Replace a project's world bible and timeline (creating the world on first edit) from the world form.

    The cast and the locations are not the form's: they are the codex's
    (``projects.codex_services``, the source of truth), projected into the
    world JSON again here. The project row is locked so two edits cannot both
    create a world.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    world = None
    if project.world_id:
        world = World.objects.filter(pk=project.world_id, user_id=project.user_id).first()
    if world is None:
        world = World(user_id=project.user_id)
    world.name = strip_control_chars(name or "", multiline=False).strip() or project.name
    world.bible = {k: v for k, v in clean_data(bible).items() if k != "locations"}
    world.timeline = clean_data(timeline)
    world.full_clean()
    world.save()
    if project.world_id != world.pk:
        Project.objects.filter(pk=project.pk).update(world_id=world.pk)
        project.world_id = world.pk
    return codex_project_world(project)


# --- Worlds (series canon) ---------------------------------------------------
# A project's first narrative gives the project its world: the world bible and
# cast of that narrative's plan. Later briefs in the project continue it (the
# jobs app puts it into brief.world) and what they add — new characters,
# events — is merged in.


def _plan_parts(metadata: dict) -> tuple[dict, list, list]:
    plan = (metadata or {}).get("plan") or {}
    bible = (metadata or {}).get("world_bible") or plan.get("world") or {}
    if isinstance(bible, dict) and "world" in bible and isinstance(bible["world"], dict):
        bible = bible["world"]
    characters = (metadata or {}).get("characters") or plan.get("characters") or []
    title = (metadata or {}).get("title") or (plan.get("interpretation") or {}).get("title") or ""
    events = []
    for seg in plan.get("segments") or []:
        for event in seg.get("key_events") or []:
            events.append({"story": title, "segment": seg.get("index"), "event": event})
    return dict(bible), [dict(c) for c in characters if isinstance(c, dict) and c.get("name")], events


@transaction.atomic
def world_adopt_from_result(*, project: Project, metadata: dict) -> World | None:
    """Make a narrative's world bible and cast the project's world (when it has none yet)."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.world_id:
        return World.objects.filter(pk=locked.world_id).first()
    bible, characters, events = _plan_parts(metadata)
    if not bible.get("name"):
        return None
    world = World.objects.create(
        user_id=locked.user_id, name=bible["name"][:255], bible=bible, characters=characters, timeline=events
    )
    Project.objects.filter(pk=locked.pk).update(world_id=world.pk)
    project.world_id = locked.world_id = world.pk
    codex_absorb_world(project=locked, world=world)  # the cast and places become codex entries
    world.refresh_from_db()
    return world


def world_record_narrative(*, project: Project, world_mode: str, metadata: dict) -> World | None:
    """Series bookkeeping when a job in ``project`` produced a narrative (inside its completion).

    ``world_mode`` is how the job's brief met the project's world: "" / "new" / "given"
    adopt the narrative's world when the project has none yet, "continue" merges what it
    added into the project's world, "revision" (a new version of a story) changes nothing.
    """
    if world_mode == "revision":
        return None
    if project.world_id is None and world_mode in ("", "new", "given"):
        return world_adopt_from_result(project=project, metadata=metadata)
    if world_mode == "continue":
        locked = Project.objects.select_for_update().get(pk=project.pk)
        world = World.objects.select_for_update().filter(pk=locked.world_id).first()
        if world is not None:
            world = world_merge(world=world, metadata=metadata)
            codex_absorb_world(project=locked, world=world)  # what the story added joins the codex
            world.refresh_from_db()
            return world
    return None


@transaction.atomic
def world_merge(*, world: World, metadata: dict) -> World:
    """Add what a later narrative brought: characters not in the cast yet, its events, new locations."""
    bible, characters, events = _plan_parts(metadata)
    known = {c.get("name") for c in world.characters or []}
    cast = list(world.characters or [])
    cast += [c for c in characters if c["name"] not in known]
    canon = dict(world.bible or {})
    places = {loc.get("name") for loc in canon.get("locations") or [] if isinstance(loc, dict)}
    new_places = [
        loc for loc in bible.get("locations") or [] if isinstance(loc, dict) and loc.get("name") not in places
    ]
    if new_places:
        canon["locations"] = list(canon.get("locations") or []) + new_places
    world.bible = canon
    world.characters = cast
    world.timeline = list(world.timeline or []) + events
    world.save(update_fields=["bible", "characters", "timeline", "updated_at"])
    return world
