"""The job page's one read: the job with its project, runtime and connection rows, in one statement.

The page and its poll (every 2 s while a writer watches a job) are most of a
writer's requests. Through the ORM, building this four-table query and its
model instances cost ~1.9 ms of CPU against ~0.1 ms for running it, which was
most of the poll's own time (issue 18 §6). The SQL is built once per process
from the field lists below, and the rows become model instances through
``Model.from_db`` with each field's database converters, as the ORM would
build them: fields not listed are deferred (read on first use, one query each,
which tests/perf/test_page_queries.py would count).
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from connections.models import JobConnection
from jobs.models import GenerationJob, JobRuntime
from projects.models import Project

# What templates/jobs/detail.html, _live.html, job_progress and job_connection_info read.
JOB_FIELDS = (
    *("id", "user", "project", "status", "current_stage", "completed_stages", "progress_percentage"),
    *("duration_seconds", "retry_count", "started_at", "tokens_used", "actual_cost_usd"),
    *("estimated_cost_usd", "can_resume", "error_message", "output", "production_brief", "rq_job_id"),
    "created_at",
)
PROJECT_FIELDS = ("id", "name")
RUNTIME_FIELDS = ("job", "kind", "position", "failure_cause", "notice")
CONNECTION_FIELDS = ("job", "name", "own_key", "engine", "tier_models")

_PARTS = (
    (GenerationJob, JOB_FIELDS, "j", None),
    (Project, PROJECT_FIELDS, "p", "project"),
    (JobRuntime, RUNTIME_FIELDS, "r", "runtime"),
    (JobConnection, CONNECTION_FIELDS, "c", "connection_choice"),
)


@cache
def _statement() -> tuple[str, list]:
    """(SQL, per part: (model, attnames, [(column, converters)], relation name, where its pk is))."""
    q = connection.ops.quote_name
    columns, parts = [], []
    for model, names, alias, relation in _PARTS:
        # In the model's own field order: from_db fills the listed fields in that order.
        listed = {model._meta.get_field(name) for name in names}
        fields = [f for f in model._meta.concrete_fields if f in listed]
        columns += [f"{alias}.{q(f.column)}" for f in fields]
        converters = []
        for f in fields:
            col = f.get_col(alias)
            converters.append((col, connection.ops.get_db_converters(col) + f.get_db_converters(connection)))
        attnames = [f.attname for f in fields]
        parts.append((model, attnames, converters, relation, attnames.index(model._meta.pk.attname)))
    job, project, runtime, conn = (part[0]._meta.db_table for part in _PARTS)
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(job)} j"  # noqa: S608 - names from the models' metadata
        f" LEFT JOIN {q(project)} p ON p.{q('id')} = j.{q('project_id')}"
        f" LEFT JOIN {q(runtime)} r ON r.{q('job_id')} = j.{q('id')}"
        f" LEFT JOIN {q(conn)} c ON c.{q('job_id')} = j.{q('id')}"
        f" WHERE j.{q('id')} = %s AND j.{q('user_id')} = %s"
    )
    return sql, parts


def job_page_row(*, user_id: str, job_id: str) -> GenerationJob | None:
    """The user's job with what its page shows of the three rows beside it; None: not the user's."""
    sql, parts = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(job_id), str(user_id)])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, at = [], 0
    for model, attnames, converters, _, pk_at in parts:
        values = list(row[at : at + len(attnames)])
        at += len(attnames)
        if values[pk_at] is None:  # the LEFT JOIN found no row
            instances.append(None)
            continue
        for i, (col, funcs) in enumerate(converters):
            for func in funcs:
                values[i] = func(values[i], col, connection)
        instances.append(model.from_db(connection.alias, attnames, values))
    job = instances[0]
    for (_, _, _, relation, _), related in zip(parts[1:], instances[1:], strict=True):
        job._state.fields_cache[relation] = related  # None: no such row (the ORM caches that too)
        if related is not None and relation != "project":
            related._state.fields_cache["job"] = job  # runtime.job and connection_choice.job
    return job
