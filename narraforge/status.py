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

from jobs.models import GenerationJob, JobStatus

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
