"""Reads for accounts: a writer's upgrade requests (always the signed-in writer's own)."""

from __future__ import annotations

from accounts.models import UpgradeRequest, UpgradeStatus, User


def upgrade_request_pending(*, user: User) -> UpgradeRequest | None:
    return UpgradeRequest.objects.filter(user_id=user.pk, status=UpgradeStatus.PENDING).first()


def upgrade_requests_recent(*, user: User, limit: int = 5) -> list[UpgradeRequest]:
    return list(UpgradeRequest.objects.filter(user_id=user.pk).order_by("-created_at")[:limit])
