"""RQ task bodies the fault tests enqueue to look inside a real work horse (imported by the worker)."""

from __future__ import annotations


def queries_kept_in_memory(n: int = 200) -> dict:
    """Run ``n`` queries the way a job's progress writes do; report what Django kept of them."""
    from django.conf import settings
    from django.db import connection

    for _ in range(n):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE generation_job_runtime SET worker = worker WHERE job_id = %s", ["none"])
    return {"debug": bool(settings.DEBUG), "kept": len(connection.queries_log)}
