"""Reads of a project's codex, always scoped to the project's owner."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from projects.models import CodexEntry, CodexKind, Project


def codex_entries_for_project(*, project: Project) -> QuerySet[CodexEntry]:
    return CodexEntry.objects.filter(project=project).order_by("position", "created_at")


def codex_entry_of_user(*, user: User, project: Project, entry_id: str) -> CodexEntry | None:
    """The entry of the user's project, or None (another user's or project's id looks missing)."""
    return (
        CodexEntry.objects.filter(pk=entry_id, project=project, project__user=user)
        .select_related("project")
        .first()
    )


def codex_by_kind(*, project: Project) -> dict[str, list[CodexEntry]]:
    """The codex grouped as the project page shows it: characters, places, lore."""
    groups: dict[str, list[CodexEntry]] = {kind: [] for kind in CodexKind.values}
    for entry in codex_entries_for_project(project=project):
        groups[entry.kind].append(entry)
    return groups


def codex_entry_json(entry: CodexEntry) -> dict[str, Any]:
    """The entry as the brief's ``world["codex"]`` carries it to the pipeline (jobs.pipeline.codex)."""
    data: dict[str, Any] = {"kind": entry.kind, "name": entry.name}
    for key in ("aliases", "role", "description", "goal", "relationships"):
        value = getattr(entry, key)
        if value:
            data[key] = value
    return data


def codex_for_brief(*, project: Project) -> list[dict[str, Any]]:
    return [codex_entry_json(e) for e in codex_entries_for_project(project=project)]
