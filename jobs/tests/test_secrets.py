"""Nothing internal reaches a writer (issue 11 §5): credentials in OPENAI_BASE_URL and a key in its query.

A real worker runs the job against an endpoint whose URL carries
``proxyuser:proxy-PASS-777`` and ``?api-key=QUERY-SECRET-123``. Whatever
happens to the job, neither secret may appear in the job's error, the
writer's pages, staff pages, the worker's log lines or an export; the writer's
message names no endpoint or host at all, staff see it with the secrets masked.
"""

from __future__ import annotations

import socket

import pytest
from django.test import Client

from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF, wait_for
from narratives.models import Narrative

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SECRETS = ("proxy-PASS-777", "QUERY-SECRET-123", "proxyuser")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pages(client: Client, urls: list[str]) -> str:
    out = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        out.append(response.content.decode())
    return "\n".join(out)


@pytest.mark.parametrize("endpoint", ["answering", "unreachable"])
def test_endpoint_credentials_and_query_secrets_reach_no_page_log_error_or_export(
    endpoint, owner, staff, project, workers, fake_llm, settings, tmp_path
):
    port = fake_llm.base_url.split(":")[2].split("/")[0] if endpoint == "answering" else _closed_port()
    url = f"http://proxyuser:proxy-PASS-777@127.0.0.1:{port}/v1?api-key=QUERY-SECRET-123"
    settings.OPENAI_BASE_URL = url  # the web process's settings, as in production
    log_path = tmp_path / "worker.log"
    workers.start(
        env={**fake_llm.worker_env, "OPENAI_BASE_URL": url, "NF_LLM_MAX_ATTEMPTS": "1"}, log_path=log_path
    )
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    job = wait_for(
        lambda: (lambda j: j if j.status not in ("queued", "running") else None)(
            GenerationJob.objects.get(pk=job.pk)
        ),
        timeout=60,
        what="the job to end",
    )
    writer = Client()
    writer.force_login(owner)
    texts = [
        job.error_message or "",
        _pages(
            writer,
            [f"/jobs/{job.pk}/", f"/jobs/{job.pk}/progress/", "/jobs/", "/", "/usage/"],
        ),
    ]
    narrative = Narrative.objects.filter(job=job).first()
    if narrative is not None:
        for fmt in ("txt", "md", "epub", "docx", "pdf"):
            response = writer.get(f"/narratives/{narrative.pk}/download/{fmt}/", follow=True)
            texts.append(response.content.decode("latin-1"))
    admin = Client()
    admin.force_login(staff)
    staff_pages = _pages(admin, [f"/admin/jobs/generationjob/{job.pk}/change/", "/ops/status/"])
    detail = JobRuntime.objects.get(pk=job.pk).error_detail
    log = log_path.read_text(errors="replace")

    for text in [*texts, staff_pages, detail, log]:
        for secret in SECRETS:
            assert secret not in text
    if job.status == JobStatus.FAILED:
        # The writer is told what happened and what to do, in plain words: no endpoint, no host.
        assert "http" not in job.error_message and "127.0.0.1" not in job.error_message
        assert "Resume" in job.error_message or "resum" in job.error_message
        # Staff see where it went wrong, secrets masked; the worker logged it, masked too.
        assert "http://***@127.0.0.1" in detail
        assert f"Job {job.pk} failed" in log and "***@127.0.0.1" in log
