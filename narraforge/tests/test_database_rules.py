"""Rules PostgreSQL itself enforces: cascades, SET NULLs, defaults, CHECKs, triggers.

Each test writes and deletes with raw SQL so nothing in Django's ORM can
stand in for the database.
"""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction


def _id() -> str:
    return str(uuid.uuid4())


def _sql(query: str, params=()):
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else None


def _insert_user() -> str:
    uid = _id()
    _sql(
        "INSERT INTO users (id, email, created_at, updated_at) VALUES (%s, %s, now(), now())",
        [uid, f"{uid}@example.com"],
    )
    return uid


def _insert_world(user_id: str) -> dict[str, str]:
    """A user with a project, a job, a narrative (and a revision) and a usage log."""
    ids = {"user": user_id, "project": _id(), "job": _id(), "narrative": _id(), "child": _id(), "log": _id()}
    _sql(
        "INSERT INTO projects (id, user_id, name, created_at, updated_at) VALUES (%s, %s, 'P', now(), now())",
        [ids["project"], user_id],
    )
    _sql(
        "INSERT INTO generation_jobs (id, user_id, project_id, production_brief, created_at, updated_at)"
        " VALUES (%s, %s, %s, '{}', now(), now())",
        [ids["job"], user_id, ids["project"]],
    )
    for nid, parent in ((ids["narrative"], None), (ids["child"], ids["narrative"])):
        _sql(
            "INSERT INTO narratives (id, user_id, project_id, job_id, production_type, genre, narrative_text,"
            " word_count, metadata, generation_cost_usd, tokens_used, parent_narrative_id, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, 'novel', 'drama', 'x', 1, '{}', 0, 0, %s, now(), now())",
            [nid, user_id, ids["project"], ids["job"], parent],
        )
    _sql(
        "INSERT INTO usage_logs (id, user_id, project_id, job_id, operation_type, tokens_used, cost_usd,"
        " created_at, updated_at) VALUES (%s, %s, %s, %s, 'generation', 10, 0.1, now(), now())",
        [ids["log"], user_id, ids["project"], ids["job"]],
    )
    return ids


def _count(table: str, row_id: str) -> int:
    return _sql(f"SELECT count(*) FROM {table} WHERE id = %s", [row_id])[0][0]  # noqa: S608


@pytest.mark.django_db
def test_deleting_a_user_in_sql_cascades_to_everything_they_own():
    ids = _insert_world(_insert_user())
    survivor = _insert_world(_insert_user())
    _sql("DELETE FROM users WHERE id = %s", [ids["user"]])
    for table, key in [
        ("projects", "project"),
        ("generation_jobs", "job"),
        ("narratives", "narrative"),
        ("narratives", "child"),
        ("usage_logs", "log"),
    ]:
        assert _count(table, ids[key]) == 0, table
        assert _count(table, survivor[key]) == 1, table


@pytest.mark.django_db
def test_deleting_a_project_in_sql_keeps_its_usage_logs_with_a_null_project():
    ids = _insert_world(_insert_user())
    _sql("DELETE FROM projects WHERE id = %s", [ids["project"]])
    assert _count("generation_jobs", ids["job"]) == 0
    assert _count("narratives", ids["narrative"]) == 0
    assert _sql("SELECT project_id, job_id FROM usage_logs WHERE id = %s", [ids["log"]]) == [(None, None)]


@pytest.mark.django_db
def test_deleting_a_job_or_a_parent_narrative_in_sql_sets_null():
    ids = _insert_world(_insert_user())
    _sql("DELETE FROM generation_jobs WHERE id = %s", [ids["job"]])
    assert _sql("SELECT job_id FROM narratives WHERE id = %s", [ids["narrative"]]) == [(None,)]
    assert _sql("SELECT job_id FROM usage_logs WHERE id = %s", [ids["log"]]) == [(None,)]
    _sql("DELETE FROM narratives WHERE id = %s", [ids["narrative"]])
    assert _sql("SELECT parent_narrative_id FROM narratives WHERE id = %s", [ids["child"]]) == [(None,)]


@pytest.mark.django_db
def test_a_raw_sql_insert_gets_the_seed_defaults():
    ids = _insert_world(_insert_user())
    assert _sql(
        "SELECT is_active, is_verified, is_superuser, subscription_tier, monthly_generation_limit,"
        " monthly_generations_used, monthly_cost_limit_usd, monthly_cost_used_usd FROM users WHERE id = %s",
        [ids["user"]],
    ) == [(True, False, False, "free", 5, 0, 10.0, 0.0)]
    assert _sql(
        "SELECT narrative_count, total_word_count, total_cost_usd FROM projects WHERE id = %s",
        [ids["project"]],
    ) == [(0, 0, 0.0)]
    assert _sql(
        "SELECT status, completed_stages::text, progress_percentage, actual_cost_usd, tokens_used,"
        " retry_count, can_resume FROM generation_jobs WHERE id = %s",
        [ids["job"]],
    ) == [("queued", "[]", 0.0, 0.0, 0, 0, False)]
    assert _sql(
        "SELECT version, exported_formats::text, view_count, download_count FROM narratives WHERE id = %s",
        [ids["narrative"]],
    ) == [(1, "[]", 0, 0)]
    assert _sql(
        "SELECT mini_tokens, gpt4_tokens, mini_cost_usd, gpt4_cost_usd FROM usage_logs WHERE id = %s",
        [ids["log"]],
    ) == [(0, 0, 0.0, 0.0)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE users SET subscription_tier = 'platinum'",
        "UPDATE generation_jobs SET status = 'paused'",
        "UPDATE narratives SET production_type = 'poem'",
        "UPDATE narratives SET genre = 'western'",
        "UPDATE projects SET default_genre = 'western'",
        "UPDATE usage_logs SET operation_type = 'mining'",
    ],
)
def test_the_database_refuses_values_outside_the_seed_enums(statement):
    _insert_world(_insert_user())
    with pytest.raises(IntegrityError), transaction.atomic():
        _sql(statement)


@pytest.mark.django_db
def test_updated_at_moves_on_any_update_even_raw_sql():
    uid = _insert_user()
    _sql("UPDATE users SET updated_at = now() - interval '1 day' WHERE id = %s", [uid])
    _sql("UPDATE users SET full_name = 'Renamed' WHERE id = %s", [uid])
    (age,) = _sql("SELECT extract(epoch FROM now() - updated_at) FROM users WHERE id = %s", [uid])[0]
    assert age < 60
