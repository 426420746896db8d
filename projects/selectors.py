"""Reads for projects, always scoped to a user."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from projects.codex_selectors import codex_for_brief
from projects.models import Project, World


def projects_for_user(*, user: User) -> QuerySet[Project]:
    return Project.objects.filter(user=user).order_by("-updated_at")


def project_of_user(*, user: User, project_id: str) -> Project | None:
    """The user's project, or None (also for another user's id: the caller cannot tell them apart)."""
    return Project.objects.filter(pk=project_id, user=user).first()


def world_for_project(project: Project) -> dict | None:
    """The project's world as a brief's ``world`` value, or None.

    ``{"world": bible, "characters": [...], "timeline": [...], "codex": [...]}``: the
    bible and cast are the world JSON (derived from the codex, see
    ``projects.codex_services``), ``codex`` is the codex itself with aliases,
    descriptions and lore, which the drafting prompts carry (``jobs.pipeline.codex``).
    """
    if not project.world_id:
        return None
    world = World.objects.filter(pk=project.world_id).first()
    if world is None:
        return None
    bible = dict(world.bible or {})
    bible["name"] = (bible.get("name") or world.name or "").strip()
    if not bible["name"]:
        return None
    characters = [c for c in world.characters or [] if isinstance(c, dict) and str(c.get("name", "")).strip()]
    return {
        "world": bible,
        "characters": characters,
        "timeline": list(world.timeline or []),
        "codex": codex_for_brief(project=project),
    }
