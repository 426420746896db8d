"""Found 2: a cancel during the completion window.

``job_complete`` locks the owner's user row, then the job row. A test
connection holds the user row, so a real worker that has finished the
pipeline waits inside ``job_complete`` (seen in ``pg_stat_activity``) — the
completion window, made as long as the test needs. A cancel in that window
must either win (the job ends ``cancelled``, no narrative, billed for what it
spent) or be refused with "already finished"; never accepted and then dropped.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from jobs.models import GenerationJob, JobStatus
from jobs.services import JobError, job_cancel, job_create
from narratives.models import Narrative
from tests.faults.conftest import SHORT_BRIEF, billed_usd, finished, report, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _a_worker_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is frozen otherwise
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            ["%users%FOR UPDATE%"],
        )
        return cursor.fetchone()[0] > 0


class UserRowHolder(threading.Thread):
    """Holds ``SELECT … FOR UPDATE`` on the user row until released; optionally cancels inside that lock."""

    def __init__(self, user, job_id, *, cancel_inside: bool = False) -> None:
        super().__init__(daemon=True)
        self.user, self.job_id, self.cancel_inside = user, job_id, cancel_inside
        self.locked, self.release = threading.Event(), threading.Event()
        self.cancel_outcome: str | None = None

    def run(self) -> None:
        from accounts.models import User

        try:
            with transaction.atomic():
                User.objects.select_for_update().filter(pk=self.user.pk).first()
                self.locked.set()
                if self.cancel_inside:
                    wait_for(_a_worker_waits_for_a_lock, timeout=30, what="the worker inside job_complete")
                    self.cancel_outcome = _cancel(self.user, self.job_id)
                self.release.wait(60)
        finally:
            connection.close()


def _cancel(user, job_id) -> str:
    try:
        job_cancel(user=user, job=GenerationJob.objects.get(pk=job_id))
        return "accepted"
    except JobError as exc:
        return f"refused: {exc}"


def _assert_cancel_won_or_was_refused(outcome: str, job_id, user) -> None:
    job = GenerationJob.objects.get(pk=job_id)
    if outcome == "accepted":
        assert job.status == JobStatus.CANCELLED, "a cancel was accepted, then the job completed anyway"
        assert not Narrative.objects.filter(job_id=job_id).exists()
        assert billed_usd(job_id) == pytest.approx(job.actual_cost_usd, abs=1e-9)
        user.refresh_from_db()
        assert user.monthly_cost_used_usd == pytest.approx(billed_usd(job_id), abs=1e-9)
    else:
        assert "already finished" in outcome, outcome
        assert job.status == JobStatus.COMPLETED


def test_a_cancel_arriving_while_the_completion_waits_for_its_locks_wins_or_is_refused(
    owner, project, workers
):
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    holder = UserRowHolder(owner, job.pk)
    holder.start()
    assert holder.locked.wait(10)
    workers.start()
    try:
        wait_for(_a_worker_waits_for_a_lock, timeout=30, what="the worker inside job_complete")
        result: list[str] = []
        canceller = threading.Thread(
            target=lambda: (result.append(_cancel(owner, job.pk)), connection.close())
        )
        canceller.start()
        canceller.join(1.0)  # today the cancel is accepted here at once, while the completion waits
    finally:
        holder.release.set()
        holder.join(10)
    canceller.join(30)
    wait_for(lambda: finished(job.pk), timeout=30, what="the job to end")
    report(
        "2 cancel arriving in the completion window", cancel=result[0][:40], status=finished(job.pk).status
    )
    _assert_cancel_won_or_was_refused(result[0], job.pk, owner)


def test_a_cancel_committed_before_the_completion_commits_makes_the_job_cancelled(owner, project, workers):
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    holder = UserRowHolder(owner, job.pk, cancel_inside=True)
    holder.start()
    assert holder.locked.wait(10)
    workers.start()
    try:
        wait_for(lambda: holder.cancel_outcome, timeout=40, what="the cancel inside the lock")
    finally:
        holder.release.set()
        holder.join(10)
    assert holder.cancel_outcome == "accepted"
    wait_for(lambda: finished(job.pk), timeout=30, what="the job to end")
    report("2 cancel committed before the completion", cancel="accepted", status=finished(job.pk).status)
    _assert_cancel_won_or_was_refused("accepted", job.pk, owner)
    job = GenerationJob.objects.get(pk=job.pk)
    assert job.can_resume and "Cancelled" in job.error_message
