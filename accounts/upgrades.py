"""Upgrade requests: a writer asks for a bigger tier, staff approve or decline it in the admin.

Not one of the seed's tables. Payment is out of scope: approving a request
only moves the user to the tier (``accounts.services.user_set_tier``).
"""

from __future__ import annotations

from django.db import models

from accounts.tiers import SubscriptionTier
from narraforge.models import choice_check

MAX_UPGRADE_NOTE = 1000


class UpgradeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for staff"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class UpgradeRequest(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.DB_CASCADE, related_name="upgrade_requests")
    tier = models.CharField(max_length=20, choices=SubscriptionTier.choices, help_text="The tier asked for.")
    from_tier = models.CharField(
        max_length=20, choices=SubscriptionTier.choices, help_text="The tier at the time."
    )
    note = models.TextField(blank=True, default="", max_length=MAX_UPGRADE_NOTE)
    status = models.CharField(max_length=20, choices=UpgradeStatus.choices, default=UpgradeStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.DB_SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "upgrade_requests"
        ordering = ["-created_at"]
        constraints = [
            # At most one open request per writer; also the index of "their open request" on the plans page.
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="upgrade_requests_one_pending"
            ),
            choice_check("status", UpgradeStatus, table="upgrade_requests"),
            choice_check("tier", SubscriptionTier, table="upgrade_requests"),
        ]
        indexes = [
            # The admin's default list: the queue of pending requests, oldest first.
            models.Index(fields=["status", "created_at"], name="idx_upgrade_requests_queue"),
            models.Index(fields=["user", "-created_at"], name="idx_upgrade_requests_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.from_tier} → {self.tier} ({self.status})"
