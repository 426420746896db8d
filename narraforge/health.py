"""Liveness and readiness probes for load balancers and docker-compose.

/healthz answers when the process does; /readyz also proves PostgreSQL and
Redis answer and that no migration is pending.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return f"{len(pending)} migration(s) not applied" if pending else None
    except Exception as exc:  # any failure means "not ready"; the message says which
        return f"database unreachable: {exc.__class__.__name__}"


def _check_redis() -> str | None:
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:
        return f"redis unreachable: {exc.__class__.__name__}"


@require_GET
@never_cache
def readyz(request):
    checks = {"database": _check_database() or "ok", "redis": _check_redis() or "ok"}
    ready = all(result == "ok" for result in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)


class ProbeMiddleware:
    """Answers /healthz and /readyz before host validation and the HTTPS redirect.

    Probes come from inside the container or the load balancer, over plain
    HTTP and with whatever Host header they use (127.0.0.1:8000); with
    ALLOWED_HOSTS set to the public name and SECURE_SSL_REDIRECT on, they would
    otherwise get 400 or a redirect to https. First in MIDDLEWARE.
    """

    PROBES = {"/healthz": healthz, "/readyz": readyz}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = self.PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)
