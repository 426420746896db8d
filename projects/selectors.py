"""Reads for projects, always scoped to a user."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from projects.models import Project


def projects_for_user(*, user: User) -> QuerySet[Project]:
    return Project.objects.filter(user=user).order_by("-updated_at")


def project_get_for_user(*, user: User, project_id: str) -> Project:
    """The user's project or a 404 — another user's id is indistinguishable from a missing one."""
    return get_object_or_404(Project, pk=project_id, user=user)
