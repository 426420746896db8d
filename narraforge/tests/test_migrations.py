"""Migrations are complete and reversible."""

import pytest
from django.core.management import call_command
from django.db import connection

SEED_TABLES = {"users", "projects", "generation_jobs", "narratives", "usage_logs"}


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_migrating_accounts_to_zero_removes_the_five_tables_and_migrate_restores_them():
    call_command("migrate", "accounts", "zero", verbosity=0)
    assert not SEED_TABLES & _tables()
    call_command("migrate", verbosity=0)
    assert _tables() >= SEED_TABLES
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'users_touch_updated_at'")
        assert cur.fetchone() == (1,)
