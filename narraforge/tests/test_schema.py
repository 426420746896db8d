"""The database after `migrate` holds the seed's schema (shared/seed/DATABASE.md).

Everything here is read back from PostgreSQL's catalogues, not from the
models, so a model that drifts from the seed fails these tests.
"""

import pytest
from django.db import connection

# (type, max length or None, default as PostgreSQL prints it or None, nullable)
V, T, INT, F, B, J = "character varying", "text", "integer", "double precision", "boolean", "jsonb"
TS = "timestamp"

SEED: dict[str, dict[str, tuple]] = {
    "users": {
        "id": (V, None, None, False),
        "email": (V, 255, None, False),
        "hashed_password": (V, 255, None, True),
        "is_active": (B, None, "true", True),
        "is_verified": (B, None, "false", True),
        "is_superuser": (B, None, "false", True),
        "oauth_provider": (V, 50, None, True),
        "oauth_id": (V, 255, None, True),
        "full_name": (V, 255, None, True),
        "avatar_url": (V, 500, None, True),
        "subscription_tier": (V, 20, "'free'::character varying", True),
        "subscription_ends_at": (TS, None, None, True),
        "monthly_generation_limit": (INT, None, "5", True),
        "monthly_generations_used": (INT, None, "0", True),
        "monthly_cost_limit_usd": (F, None, "10.0", True),
        "monthly_cost_used_usd": (F, None, "0.0", True),
        "last_login_at": (TS, None, None, True),
        "created_at": (TS, None, None, False),
        "updated_at": (TS, None, None, False),
    },
    "projects": {
        "id": (V, None, None, False),
        "user_id": (V, None, None, True),
        "name": (V, 255, None, False),
        "description": (T, None, None, True),
        "world_id": (V, None, None, True),
        "default_genre": (V, 50, None, True),
        "default_production_type": (V, 50, None, True),
        "narrative_count": (INT, None, "0", True),
        "total_word_count": (INT, None, "0", True),
        "total_cost_usd": (F, None, "0.0", True),
        "created_at": (TS, None, None, False),
        "updated_at": (TS, None, None, False),
    },
    "generation_jobs": {
        "id": (V, None, None, False),
        "user_id": (V, None, None, True),
        "project_id": (V, None, None, True),
        "status": (V, 20, "'queued'::character varying", True),
        "production_brief": (J, None, None, False),
        "output": (J, None, None, True),
        "current_stage": (V, 100, None, True),
        "completed_stages": (J, None, "'[]'::jsonb", True),
        "progress_percentage": (F, None, "0.0", True),
        "estimated_cost_usd": (F, None, None, True),
        "actual_cost_usd": (F, None, "0.0", True),
        "tokens_used": (INT, None, "0", True),
        "started_at": (TS, None, None, True),
        "completed_at": (TS, None, None, True),
        "duration_seconds": (INT, None, None, True),
        "error_message": (T, None, None, True),
        "retry_count": (INT, None, "0", True),
        "can_resume": (B, None, "false", True),
        "celery_task_id": (V, 255, None, True),
        "created_at": (TS, None, None, False),
        "updated_at": (TS, None, None, False),
    },
    "narratives": {
        "id": (V, None, None, False),
        "user_id": (V, None, None, True),
        "project_id": (V, None, None, True),
        "job_id": (V, None, None, True),
        "title": (V, 500, None, True),
        "production_type": (V, 50, None, False),
        "genre": (V, 50, None, False),
        "narrative_text": (T, None, None, False),
        "word_count": (INT, None, None, False),
        "metadata": (J, None, None, False),
        "quality_metrics": (J, None, None, True),
        "overall_quality_score": (F, None, None, True),
        "generation_cost_usd": (F, None, None, False),
        "tokens_used": (INT, None, None, False),
        "version": (INT, None, "1", True),
        "parent_narrative_id": (V, None, None, True),
        "exported_formats": (J, None, "'[]'::jsonb", True),
        "view_count": (INT, None, "0", True),
        "download_count": (INT, None, "0", True),
        "created_at": (TS, None, None, False),
        "updated_at": (TS, None, None, False),
    },
    "usage_logs": {
        "id": (V, None, None, False),
        "user_id": (V, None, None, True),
        "project_id": (V, None, None, True),
        "job_id": (V, None, None, True),
        "operation_type": (V, 50, None, False),
        "production_type": (V, 50, None, True),
        "tokens_used": (INT, None, None, False),
        "cost_usd": (F, None, None, False),
        "mini_tokens": (INT, None, "0", True),
        "gpt4_tokens": (INT, None, "0", True),
        "mini_cost_usd": (F, None, "0.0", True),
        "gpt4_cost_usd": (F, None, "0.0", True),
        "created_at": (TS, None, None, False),
        "updated_at": (TS, None, None, False),
    },
}

# (table, column) -> (referenced table, ON DELETE action code: c=CASCADE, n=SET NULL)
SEED_FOREIGN_KEYS = {
    ("projects", "user_id"): ("users", "c"),
    ("generation_jobs", "user_id"): ("users", "c"),
    ("generation_jobs", "project_id"): ("projects", "c"),
    ("narratives", "user_id"): ("users", "c"),
    ("narratives", "project_id"): ("projects", "c"),
    ("narratives", "job_id"): ("generation_jobs", "n"),
    ("narratives", "parent_narrative_id"): ("narratives", "n"),
    ("usage_logs", "user_id"): ("users", "c"),
    ("usage_logs", "project_id"): ("projects", "n"),
    ("usage_logs", "job_id"): ("generation_jobs", "n"),
}

SEED_INDEXES = {
    "idx_users_email": ("users", ["email"]),
    "idx_users_oauth": ("users", ["oauth_provider", "oauth_id"]),
    "idx_projects_user_id": ("projects", ["user_id"]),
    "idx_projects_world_id": ("projects", ["world_id"]),
    "idx_jobs_user_id": ("generation_jobs", ["user_id"]),
    "idx_jobs_project_id": ("generation_jobs", ["project_id"]),
    "idx_jobs_status": ("generation_jobs", ["status"]),
    "idx_jobs_celery_task_id": ("generation_jobs", ["celery_task_id"]),
    "idx_narratives_user_id": ("narratives", ["user_id"]),
    "idx_narratives_project_id": ("narratives", ["project_id"]),
    "idx_narratives_job_id": ("narratives", ["job_id"]),
    "idx_narratives_type_genre": ("narratives", ["production_type", "genre"]),
    "idx_usage_user_id": ("usage_logs", ["user_id"]),
    "idx_usage_project_id": ("usage_logs", ["project_id"]),
    "idx_usage_job_id": ("usage_logs", ["job_id"]),
}


def _columns(table: str) -> dict[str, tuple]:
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT column_name, data_type, character_maximum_length, column_default, is_nullable
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = %s
            """,
            [table],
        )
        rows = cur.fetchall()
    found = {}
    for name, data_type, length, default, nullable in rows:
        if data_type.startswith("timestamp"):
            data_type = TS  # TIMESTAMP may carry a time zone
        found[name] = (data_type, length, default, nullable == "YES")
    return found


def _indexes() -> dict[str, tuple[str, list[str], str]]:
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.relname, t.relname,
                   array_agg(a.attname ORDER BY k.ord), pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            GROUP BY i.relname, t.relname, i.oid
            """
        )
        return {name: (table, list(cols), ddl) for name, table, cols, ddl in cur.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(SEED))
def test_each_table_has_the_seed_columns_types_defaults_and_nullability(table):
    assert _columns(table) == SEED[table]


@pytest.mark.django_db
def test_foreign_keys_delete_as_the_seed_says_enforced_by_postgresql():
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, c.confdeltype
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
            """,
            [list(SEED)],
        )
        found = {(t, col): (ref, action) for t, col, ref, action in cur.fetchall()}
    assert found == SEED_FOREIGN_KEYS


@pytest.mark.django_db
def test_every_seed_index_exists_with_its_name_and_columns():
    indexes = _indexes()
    for name, (table, columns) in SEED_INDEXES.items():
        assert name in indexes, f"missing index {name}"
        assert indexes[name][:2] == (table, columns), name


@pytest.mark.django_db
def test_no_unnamed_index_duplicates_a_seed_index():
    seed_keys = {(table, tuple(cols)) for table, cols in SEED_INDEXES.values()}
    for name, (table, cols, ddl) in _indexes().items():
        if name in SEED_INDEXES or table not in SEED:
            continue
        # Unique constraints (the seed's UNIQUE email) are not plain duplicates.
        if "UNIQUE" in ddl:
            continue
        assert (table, tuple(cols)) not in seed_keys, f"{name} duplicates a seed index: {ddl}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "column", "good"),
    [
        ("users", "subscription_tier", ["free", "pro", "enterprise"]),
        ("generation_jobs", "status", ["queued", "running", "completed", "failed", "cancelled"]),
        ("narratives", "production_type", ["short_story", "novella", "novel", "epic_saga"]),
        (
            "narratives",
            "genre",
            ["fantasy", "scifi", "horror", "thriller", "mystery", "drama", "romance", "hybrid"],
        ),
    ],
)
def test_check_constraints_allow_exactly_the_seed_values(table, column, good):
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'c' AND conrelid = %s::regclass AND conname = %s
            """,
            [table, f"{table}_{column}_valid"],
        )
        (definition,) = cur.fetchone()
    for value in good:
        assert f"'{value}'" in definition
    assert definition.count("::character varying") == len(good)
