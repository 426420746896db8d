"""Migration operations shared by the apps.

`updated_at` is kept by a trigger as well as by Django's auto_now, so
queryset.update(), F() counters and raw SQL maintain it too; the job
heartbeat relies on that.
"""

from django.db import migrations

TOUCH_FUNCTION = "nf_touch_updated_at"


def create_touch_function() -> migrations.RunSQL:
    return migrations.RunSQL(
        sql=f"""
        CREATE OR REPLACE FUNCTION {TOUCH_FUNCTION}() RETURNS trigger AS $$
        BEGIN
            NEW.updated_at := statement_timestamp();
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        """,
        reverse_sql=f"DROP FUNCTION IF EXISTS {TOUCH_FUNCTION}();",
    )


def touch_updated_at(table: str) -> migrations.RunSQL:
    trigger = f"{table}_touch_updated_at"
    return migrations.RunSQL(
        sql=(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {TOUCH_FUNCTION}();"
        ),
        reverse_sql=f"DROP TRIGGER IF EXISTS {trigger} ON {table};",
    )
