"""One click, one job: idempotent job-starting POSTs.

Every form that starts a job (brief, plan review's "Write it", resume,
revise) carries a one-time key made when the page was rendered
(``{% submission_field %}`` in ``jobs.templatetags.nf_submission``). The
service that starts the job, *under the lock on the user row it already
takes*, first looks the key up: a key seen before returns the job it started
(no second job, no second generation); a new key is recorded with the job it
starts. So a double click, a retried request or the back button followed by
a resubmit makes exactly one job.

A POST without a key (an old page, a script) is keyed on what it sends —
the path and the fields, the CSRF token aside — for ``AUTO_WINDOW_SECONDS``:
two identical POSTs within that window are one submission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from typing import Any

from django.utils import timezone

from jobs.models import GenerationJob, JobSubmission

FIELD = "submission_key"
ALREADY_STARTED = "Already started: this is the job your first click made (a second click starts nothing)."
AUTO_WINDOW_SECONDS = 15
_VALID = SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_\-]{8,80}")


def new_key() -> str:
    return uuid.uuid4().hex


def key_from_post(post: Any, path: str) -> str:
    """The submission's key: the form's one-time key, or one derived from what was posted."""
    raw = (post.get(FIELD) or "").strip() if post is not None else ""
    if _VALID.fullmatch(raw):
        return f"form:{raw}"
    items = sorted(
        (k, v)
        for k in (post.keys() if post is not None else [])
        if k not in ("csrfmiddlewaretoken", FIELD)
        for v in post.getlist(k)
    )
    digest = hashlib.sha256(repr((path, items)).encode()).hexdigest()[:48]
    return f"auto:{digest}"


def submission_replay(*, user_id: str, key: str | None) -> GenerationJob | None:
    """The job this key already started, if any. Call it holding the user-row lock."""
    if not key:
        return None
    found = JobSubmission.objects.filter(user_id=user_id, key=key).select_related("job").first()
    if found is None:
        return None
    if key.startswith("auto:") and found.created_at < timezone.now() - dt.timedelta(
        seconds=AUTO_WINDOW_SECONDS
    ):
        return None  # the same content again, later: a new submission on purpose
    job = found.job
    job.replayed = True  # the view says "already started" instead of "started"
    return job


def submission_record(*, user_id: str, key: str | None, job: GenerationJob) -> None:
    """Remember which job this key started (same transaction as the job)."""
    if not key:
        return
    JobSubmission.objects.update_or_create(
        user_id=user_id, key=key, defaults={"job": job, "created_at": timezone.now()}
    )
