"""The operator status page (/ops/status/): staff only, like the admin and django-rq.

Refusal works as in the rest of the staff area: anyone who is not staff is
sent to the admin login, which sends visitors to the site's sign-in and
answers 403 to signed-in writers (narraforge/security.py).
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from narraforge import status


@require_GET
@never_cache
@staff_member_required
def ops_status(request):
    context = {
        "database": status.database_status(),
        "queues": status.queue_status(),
        "jobs": status.jobs_status(hours=24),
        "connections": status.connection_errors(hours=24),
        "slow_query_seconds": status.SLOW_QUERY_SECONDS,
    }
    return render(request, "ops/status.html", context)
