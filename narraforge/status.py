"""What the operator status page shows: PostgreSQL, RQ and job figures.

Reads only. The PostgreSQL figures are the seed's monitoring queries
(DATABASE.md, "Monitoring"); each function runs a fixed number of queries
whatever the data, so the page's cost does not grow with the tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from connections.models import ModelConnection
from jobs.models import GenerationJob, JobStatus
from narraforge.causes import Cause

log = logging.getLogger(__name__)

SLOW_QUERY_SECONDS = 1
QUERY_TEXT_LIMIT = 500


@dataclass(frozen=True)
class SlowQuery:
    pid: int
    duration: timedelta
    query: str


@dataclass(frozen=True)
class TableSize:
    name: str
    bytes: int
    pretty: str


@dataclass
class DatabaseStatus:
    connections_total: int = 0
    connections_here: int = 0
    connections_active: int = 0
    slow_queries: list[SlowQuery] = field(default_factory=list)
    tables: list[TableSize] = field(default_factory=list)


def database_status() -> DatabaseStatus:
    """Three queries: connections, queries running over a second, table sizes."""
    status = DatabaseStatus()
    with connection.cursor() as cur:
        # Active connections (the seed's count, plus this database's and the busy ones).
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE datname = current_database()),"
            " count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity"
        )
        status.connections_total, status.connections_here, status.connections_active = cur.fetchone()
        # Slow queries (the seed's query; never this page's own).
        cur.execute(
            "SELECT pid, now() - query_start AS duration, left(query, %s) FROM pg_stat_activity"
            " WHERE state = 'active' AND now() - query_start > make_interval(secs => %s)"
            " AND pid <> pg_backend_pid() ORDER BY duration DESC LIMIT 50",
            [QUERY_TEXT_LIMIT, SLOW_QUERY_SECONDS],
        )
        status.slow_queries = [SlowQuery(pid, took, query or "") for pid, took, query in cur.fetchall()]
        # Table sizes (the seed's query, with the byte count for sorting and totals).
        cur.execute(
            "SELECT tablename, size, pg_size_pretty(size) FROM ("
            " SELECT tablename,"
            " pg_total_relation_size(quote_ident(schemaname) || '.' || quote_ident(tablename)) AS size"
            " FROM pg_tables WHERE schemaname = 'public') t ORDER BY size DESC, tablename"
        )
        status.tables = [TableSize(name, size, pretty) for name, size, pretty in cur.fetchall()]
    return status


@dataclass(frozen=True)
class JobsStatus:
    since: datetime
    by_status: list[tuple[str, str, int]]  # (value, label, count), every status, in lifecycle order
    total: int
    queued_now: int
    oldest_queued_at: datetime | None

    @property
    def oldest_queued_age(self) -> timedelta | None:
        return None if self.oldest_queued_at is None else timezone.now() - self.oldest_queued_at


def jobs_status(*, hours: int = 24) -> JobsStatus:
    """One query: jobs created in the last `hours` by status, and the oldest job still queued."""
    since = timezone.now() - timedelta(hours=hours)
    recent = Q(created_at__gte=since)
    aggregates: dict[str, Any] = {
        f"n_{value}": Count("id", filter=recent & Q(status=value)) for value in JobStatus.values
    }
    row = GenerationJob.objects.aggregate(
        **aggregates,
        queued_now=Count("id", filter=Q(status=JobStatus.QUEUED)),
        oldest_queued_at=Min("created_at", filter=Q(status=JobStatus.QUEUED)),
    )
    by_status = [(value, label, row[f"n_{value}"]) for value, label in JobStatus.choices]
    return JobsStatus(
        since=since,
        by_status=by_status,
        total=sum(count for _, _, count in by_status),
        queued_now=row["queued_now"],
        oldest_queued_at=row["oldest_queued_at"],
    )


MODEL_CAUSES = (Cause.MODEL_UNREACHABLE, Cause.MODEL_ERROR, Cause.MODEL_AUTH)


@dataclass(frozen=True)
class ConnectionErrors:
    name: str
    kind: str  # "operator" or "own"
    engine: str
    owner: str  # the writer's email for an own connection, "" for the server's
    jobs: int  # created in the window
    ended: int  # completed or failed (cancelled jobs say nothing about the connection)
    failed: int
    model_failures: int  # failed because of the model: unreachable, errors, key refused
    deleted: bool = False  # an own connection deleted since

    @property
    def error_rate(self) -> float | None:
        """Failed ÷ ended (completed + failed), None before any job ended."""
        return None if not self.ended else self.failed / self.ended

    @property
    def model_error_rate(self) -> float | None:
        return None if not self.ended else self.model_failures / self.ended


def connection_errors(*, hours: int = 24) -> list[ConnectionErrors]:
    """Per connection that jobs created in the last ``hours`` wrote with: jobs, failures, error rates.

    Two queries whatever the data: the jobs grouped by their connection record, then the
    owners of the writers' connections among them. Jobs from before connections existed
    count as the server's default.
    """
    since = timezone.now() - timedelta(hours=hours)
    ended = Q(status__in=(JobStatus.COMPLETED, JobStatus.FAILED))
    failed = Q(status=JobStatus.FAILED)
    rows = list(
        GenerationJob.objects.filter(created_at__gte=since)
        .values(
            "connection_choice__own_key",
            "connection_choice__connection_id",
            "connection_choice__name",
            "connection_choice__engine",
        )
        .annotate(
            jobs=Count("id"),
            ended=Count("id", filter=ended),
            failed=Count("id", filter=failed),
            model_failures=Count("id", filter=failed & Q(runtime__failure_cause__in=MODEL_CAUSES)),
        )
        .order_by()
    )
    own_ids = {r["connection_choice__connection_id"] for r in rows if r["connection_choice__own_key"]}
    owners = dict(ModelConnection.objects.filter(pk__in=own_ids - {None}).values_list("pk", "user__email"))
    merged: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        own = bool(r["connection_choice__own_key"])
        conn_id = r["connection_choice__connection_id"]
        name = r["connection_choice__name"] or "Server default"
        engine = r["connection_choice__engine"] or "—"
        key = ("own", conn_id, name) if own else ("operator", name, engine)
        entry = merged.setdefault(
            key,
            {
                "name": name,
                "kind": "own" if own else "operator",
                "engine": engine,
                "owner": owners.get(conn_id, "") if own else "",
                "deleted": own and conn_id not in owners,
                "jobs": 0,
                "ended": 0,
                "failed": 0,
                "model_failures": 0,
            },
        )
        for field_name in ("jobs", "ended", "failed", "model_failures"):
            entry[field_name] += r[field_name]
    result = [ConnectionErrors(**entry) for entry in merged.values()]
    return sorted(result, key=lambda c: (c.kind != "operator", -(c.error_rate or 0.0), -c.jobs, c.name))


@dataclass(frozen=True)
class QueueStatus:
    name: str
    queued: int = 0
    workers: int = 0
    started: int = 0
    failed: int = 0
    scheduled: int = 0
    deferred: int = 0
    oldest_enqueued_at: datetime | None = None
    error: str = ""


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, UTC)  # RQ stores UTC
    return moment


def queue_status() -> list[QueueStatus]:
    """Per configured RQ queue: depth, workers, started, failed (django-rq's queues, rq's registries)."""
    import django_rq
    from rq import Worker

    result = []
    for name in settings.RQ_QUEUES:
        try:
            queue = django_rq.get_queue(name)
            oldest_id = queue.connection.lindex(queue.key, 0)
            oldest = queue.fetch_job(oldest_id.decode()) if oldest_id else None
            result.append(
                QueueStatus(
                    name=name,
                    queued=queue.count,
                    workers=Worker.count(queue=queue),
                    started=queue.started_job_registry.count,
                    failed=queue.failed_job_registry.count,
                    scheduled=queue.scheduled_job_registry.count,
                    deferred=queue.deferred_job_registry.count,
                    oldest_enqueued_at=_aware(getattr(oldest, "enqueued_at", None)),
                )
            )
        except Exception as exc:  # Redis down: the page still shows the database side
            log.warning("Status page could not read RQ queue %s: %s", name, exc)
            result.append(QueueStatus(name=name, error=f"Redis unreachable ({exc.__class__.__name__})"))
    return result
