"""`manage.py recover_jobs`: end orphaned jobs now (the scheduled reaper does the same every few seconds)."""

from django.core.management.base import BaseCommand

from jobs import queues
from jobs.reaper import reap_orphans


class Command(BaseCommand):
    help = (
        "Fail jobs whose worker died (stale heartbeat) so they can be resumed; queue again jobs whose "
        "queue entry vanished before they ran (fail those with paid work, resumable); and make sure "
        "the scheduled reaper is running."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--stale-after", type=float, default=None, help="heartbeat age in seconds")
        parser.add_argument("--queued-grace", type=float, default=None, help="seconds a queued job may wait")

    def handle(self, *args, stale_after=None, queued_grace=None, **options) -> None:
        report = reap_orphans(stale_after=stale_after, queued_grace=queued_grace)
        for job_id in report.orphaned:
            self.stdout.write(f"worker lost: job {job_id} → failed (resumable)")
        for job_id in report.requeued:
            self.stdout.write(f"lost from the queue before it ran: job {job_id} → queued again")
        for job_id in report.lost_in_queue:
            self.stdout.write(f"lost from the queue after paid work: job {job_id} → failed (resumable)")
        if report.queue_unreachable:
            self.stderr.write("Redis is unreachable: queued jobs were not checked.")
        scheduled = queues.ensure_reaper_scheduled()
        total = len(report.orphaned) + len(report.lost_in_queue) + len(report.requeued)
        self.stdout.write(
            self.style.SUCCESS(f"{total} job(s) recovered.") + (" Reaper scheduled." if scheduled else "")
        )
