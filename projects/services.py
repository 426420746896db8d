"""Writes for projects. Views, commands and tasks call these, never the ORM directly."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from projects.models import Project


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
        name=name.strip(),
        description=description.strip() or None,
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
            value = value.strip()
        setattr(project, field, value or (None if field != "name" else value))
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete a project; PostgreSQL cascades its jobs and narratives (usage logs keep a NULL project)."""
    project.delete()
