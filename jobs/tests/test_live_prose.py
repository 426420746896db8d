"""The passage being written, on the job page: throttled writes, attempt fencing, scoping, a real worker."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from jobs.live import LiveProse, live_key, live_prose_read
from jobs.models import JobStatus
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF, wait_for
from narraforge.tests.ui_helpers import make_job

pytestmark = pytest.mark.django_db


def test_live_prose_is_throttled_and_a_checkpoint_flushes_the_last_passage(redis_conn) -> None:
    live = LiveProse("job-1", "attempt-1", interval=60)
    live.offer("sequential_generation", 2, "The lamps went out.")
    live.offer("sequential_generation", 2, "The lamps went out. Nobody moved.")
    assert live.writes == 1  # the second offer came inside the interval
    assert live_prose_read("job-1", "attempt-1")["text"] == "The lamps went out."
    live.flush()
    data = live_prose_read("job-1", "attempt-1")
    assert data["text"] == "The lamps went out. Nobody moved." and data["segment"] == 2 and data["words"] == 6
    assert redis_conn.ttl(live_key("job-1")) > 0  # it expires on its own


def test_only_prose_stages_are_shown_and_only_the_newest_part_is_kept(redis_conn) -> None:
    live = LiveProse("job-2", "a", interval=0)
    live.offer("brief_interpretation", None, '{"title": "x"}')
    assert live_prose_read("job-2", "a") is None
    long = " ".join(f"word{i}" for i in range(2000))
    live.offer("sequential_generation", 1, long)
    data = live_prose_read("job-2", "a")
    assert len(data["text"]) <= 1601 and data["text"].endswith("word1999") and data["words"] == 2000


def test_another_attempts_prose_is_never_shown(redis_conn) -> None:
    LiveProse("job-3", "old-attempt", interval=0).offer("sequential_generation", 1, "Old words.")
    assert live_prose_read("job-3", "new-attempt") is None


def test_the_job_page_shows_the_passage_being_written(client, owner, other_user, project, redis_conn) -> None:
    job = make_job(owner, project, status=JobStatus.RUNNING, rq_job_id="rq-1")
    LiveProse(job.id, "rq-1", interval=0).offer(
        "sequential_generation", 3, "The corridor narrowed.\n\nShe counted the steps out loud."
    )
    client.force_login(owner)
    page = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "Writing chapter 3" in page and "She counted the steps out loud." in page
    partial = client.get(reverse("jobs:progress", args=[job.id]), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="live-prose"' in partial and "<p>The corridor narrowed.</p>" in partial
    client.force_login(other_user)
    assert client.get(reverse("jobs:progress", args=[job.id])).status_code == 404


def test_a_finished_job_shows_no_live_prose(client, owner, project, redis_conn) -> None:
    job = make_job(owner, project, status=JobStatus.FAILED, rq_job_id="rq-2")
    redis_conn.set(live_key(job.id), json.dumps({"attempt": "rq-2", "text": "Stale words.", "stage": "x"}))
    client.force_login(owner)
    assert "Stale words." not in client.get(reverse("jobs:detail", args=[job.id])).content.decode()


def test_hostile_prose_is_escaped(client, owner, project, redis_conn) -> None:
    job = make_job(owner, project, status=JobStatus.RUNNING, rq_job_id="rq-3")
    LiveProse(job.id, "rq-3", interval=0).offer("sequential_generation", 1, "<script>alert(1)</script>")
    client.force_login(owner)
    page = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_streams_prose_to_the_job_page_while_drafting(client, owner, project, workers):
    from jobs.pipeline.testing import FakeChatServer

    # Slow tokens: drafting takes seconds, so the page can be read mid-passage.
    with FakeChatServer(api_key="test-key", token_delay=0.02, chunk_chars=24) as server:
        workers.start(
            env={
                "NF_LLM_BACKEND": "openai",
                "OPENAI_API_KEY": "test-key",
                "OPENAI_BASE_URL": server.base_url,
                "NF_LIVE_PROSE_SECONDS": "0.2",
            }
        )
        job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
        client.force_login(owner)
        url = reverse("jobs:progress", args=[job.pk])

        def live_page():
            body = client.get(url).content.decode()
            return body if 'data-testid="live-prose"' in body else None

        body = wait_for(live_page, timeout=90, interval=0.2, what="live prose on the job page")
        assert "Writing chapter" in body and "words so far" in body
        job.refresh_from_db()
        wait_for(
            lambda: job.__class__.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists(),
            timeout=180,
            interval=0.5,
            what="the job to complete",
        )
    assert live_prose_read(job.pk, job.rq_job_id) is None  # cleared when the attempt ended
