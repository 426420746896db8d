"""view_count, download_count and exported_formats stay exact under concurrent requests."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from narratives.models import Narrative
from narratives.services import narrative_record_download, narrative_record_view

THREADS = 8
PER_THREAD = 5


def _hammer(target) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i):
        try:
            barrier.wait()
            for j in range(PER_THREAD):
                target(i, j)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_views_and_downloads_through_the_services(owner, other_user, make_narrative):
    n = make_narrative(owner)
    formats = ["epub", "pdf", "txt"]

    def work(i, j):
        assert narrative_record_view(narrative=n, viewer=other_user, method="GET")
        narrative_record_download(narrative=n, fmt=formats[(i + j) % len(formats)])

    assert _hammer(work) == []
    n.refresh_from_db()
    assert n.view_count == THREADS * PER_THREAD
    assert n.download_count == THREADS * PER_THREAD
    assert sorted(n.exported_formats) == sorted(formats)  # each once


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_through_the_web(owner, make_narrative):
    n = make_narrative(owner)
    detail = reverse("narratives:detail", args=[n.pk])
    download = reverse("narratives:download", args=[n.pk, "md"])

    def work(i, j):
        client = Client()
        client.force_login(owner)
        assert client.get(detail).status_code == 200
        assert client.get(download).status_code == 200

    assert _hammer(work) == []
    n.refresh_from_db()
    # The owner's own reads are not views; every download counts.
    assert (n.view_count, n.download_count, n.exported_formats) == (0, THREADS * PER_THREAD, ["md"])


@pytest.mark.django_db
def test_download_repairs_a_null_or_non_list_exported_formats(owner, make_narrative):
    n = make_narrative(owner)
    Narrative.objects.filter(pk=n.pk).update(exported_formats=None, download_count=None)
    narrative_record_download(narrative=n, fmt="docx")
    n.refresh_from_db()
    assert (n.download_count, n.exported_formats) == (1, ["docx"])
    Narrative.objects.filter(pk=n.pk).update(exported_formats={"odd": True})
    narrative_record_download(narrative=n, fmt="docx")
    n.refresh_from_db()
    assert (n.download_count, n.exported_formats) == (2, ["docx"])
