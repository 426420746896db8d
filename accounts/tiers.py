"""Subscription tiers: the seed's table, in one place.

`None` means unlimited. Everything that needs a tier's limits or queue
(user creation, set_tier, job_create, the usage page) reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class SubscriptionTier(models.TextChoices):
    FREE = "free", "Free"
    PRO = "pro", "Pro"
    ENTERPRISE = "enterprise", "Enterprise"


@dataclass(frozen=True)
class Tier:
    name: str
    label: str
    generation_limit: int | None
    cost_limit_usd: float | None
    queue: str

    @property
    def unlimited(self) -> bool:
        return self.generation_limit is None and self.cost_limit_usd is None


TIERS: dict[str, Tier] = {
    SubscriptionTier.FREE: Tier("free", "Free", 5, 10.0, "default"),
    SubscriptionTier.PRO: Tier("pro", "Pro", 50, 100.0, "high"),
    SubscriptionTier.ENTERPRISE: Tier("enterprise", "Enterprise", None, None, "high"),
}

DEFAULT_TIER = TIERS[SubscriptionTier.FREE]

# Smallest first: what "a bigger plan" means for upgrade requests and the plans page.
TIER_ORDER: tuple[str, ...] = (SubscriptionTier.FREE, SubscriptionTier.PRO, SubscriptionTier.ENTERPRISE)


def tiers_above(name: str) -> list[str]:
    """The tiers bigger than ``name``, smallest first."""
    current = TIER_ORDER.index(name) if name in TIER_ORDER else 0
    return [str(t) for t in TIER_ORDER[current + 1 :]]


def tier_for(name: str) -> Tier:
    try:
        return TIERS[name]
    except KeyError:
        allowed = ", ".join(TIERS)
        raise ValueError(f"Unknown subscription tier {name!r}; choose one of: {allowed}.") from None
