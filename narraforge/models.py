"""Pieces every seed table shares: string UUID ids and timestamps.

`narraforge` is not an app; this module only holds abstract bases and field
helpers that the apps' concrete models inherit.
"""

import uuid

from django.db import models


def new_id() -> str:
    """Seed ids are VARCHAR primary keys holding UUIDs made by the application."""
    return str(uuid.uuid4())


class SeedModel(models.Model):
    id = models.CharField(primary_key=True, default=new_id, editable=False)
    # A database trigger (see the 0002 migration of accounts) also sets
    # updated_at on every UPDATE, so queryset.update() and raw SQL keep it.
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def choice_check(field: str, choices: type[models.TextChoices], *, table: str, nullable: bool = False):
    """A CHECK constraint so the database refuses values outside the choices."""
    condition = models.Q(**{f"{field}__in": choices.values})
    if nullable:
        condition |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=f"{table}_{field}_valid")
