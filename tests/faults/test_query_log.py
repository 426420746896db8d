"""Found 7: workers started by `make run` / `make worker` / `manage.py dev` have DEBUG=1.

With DEBUG on, Django keeps every query of a connection in memory; a saga's
work horse writes progress and checkpoints thousands of times. A real worker
started with DEBUG=1 runs a probe task in its work horse that makes 200
UPDATEs: none may be kept. (The memory figure for a whole saga is
bench/bench_worker_memory.py's.)
"""

from __future__ import annotations

import pytest
from rq.job import Job

from tests.faults.conftest import report, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_started_with_debug_keeps_no_queries_in_memory(workers, redis_conn):
    from jobs.queues import get_queue

    workers.start(env={"DEBUG": "1"})
    rq_job = get_queue("default").enqueue("tests.faults.probes.queries_kept_in_memory", 200)
    job = wait_for(
        lambda: (lambda j: j if j.get_status() in ("finished", "failed") else None)(
            Job.fetch(rq_job.id, connection=redis_conn)
        ),
        timeout=30,
        what="the probe task",
    )
    assert job.get_status() == "finished", job.latest_result()
    report("7 worker started with DEBUG=1", queries_kept=job.return_value()["kept"], of=200)
    assert job.return_value()["kept"] == 0, job.return_value()
