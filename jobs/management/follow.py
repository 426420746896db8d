"""``--wait`` for the commands that queue a job (``forge`` and the chapter commands): one follow loop."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from jobs.models import FINISHED_STATUSES, GenerationJob
from jobs.selectors import job_progress


def job_follow(command: BaseCommand, job: GenerationJob, timeout: float | None) -> GenerationJob:
    """Print each change of progress until the job ends; a job that did not complete is a CommandError."""
    deadline = time.monotonic() + timeout if timeout else None
    last = None
    while True:
        job = GenerationJob.objects.get(pk=job.pk)
        info = job_progress(job)
        line = f"{info['status']:<9} {info['percentage']:5.1f}%  {info['current_stage_label'] or ''}"
        if line != last:
            command.stdout.write(line)
            last = line
        if job.status in FINISHED_STATUSES:
            break
        if deadline and time.monotonic() > deadline:
            raise CommandError(f"Still {job.status} after {timeout}s; job {job.pk} keeps running.")
        time.sleep(0.5)
    if job.status != "completed":
        raise CommandError(f"Job {job.pk} {job.status}: {job.error_message}")
    return job
