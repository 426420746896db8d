"""EPUB, DOCX and PDF are made once per version by a real worker, stored, and served as files."""

from __future__ import annotations

import io
import threading
import zipfile

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from jobs.tests.conftest import Workers, wait_for
from narratives.models import Narrative, NarrativeExport

pytestmark = pytest.mark.worker


@pytest.fixture
def export_dir(tmp_path, settings):
    folder = tmp_path / "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


@pytest.fixture
def export_worker(transactional_db, redis_conn, export_dir, settings):
    pool = Workers(settings.DATABASES["default"]["NAME"], settings.REDIS_URL)
    pool.start("default", env={"NF_EXPORTS_DIR": str(export_dir)}, scheduler=False)
    yield pool
    pool.stop_all()


def _status(narrative, fmt="docx"):
    return (
        NarrativeExport.objects.filter(narrative=narrative, fmt=fmt).values_list("status", flat=True).first()
    )


def test_a_docx_is_prepared_by_a_worker_then_served_as_a_file(
    owner, make_narrative, export_worker, export_dir
):
    narrative = make_narrative(owner)
    client = Client()
    client.force_login(owner)
    export_url = reverse("narratives:export", args=[narrative.pk, "docx"])
    download_url = reverse("narratives:download", args=[narrative.pk, "docx"])

    assert client.get(download_url)["Location"] == export_url  # nothing yet: go to the export page
    response = client.post(export_url)
    assert (response.status_code, response["Location"]) == (302, export_url)
    page = client.get(export_url).content.decode()
    if _status(narrative) != "ready":
        assert "Preparing your DOCX" in page and 'hx-trigger="every 1s"' in page

    wait_for(lambda: _status(narrative) == "ready", timeout=60, what="the worker's render")
    partial = client.get(export_url, headers={"HX-Request": "true"}).content.decode()
    assert "is ready" in partial and download_url in partial and "<html" not in partial

    response = client.get(download_url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="the-salt-road.docx"'
    data = b"".join(response.streaming_content)
    assert "Mara left the harbour" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert [p.name for p in export_dir.rglob("*.docx")] and len(list(export_dir.rglob("*.docx"))) == 1
    narrative.refresh_from_db()
    assert (narrative.exported_formats, narrative.download_count) == (["docx"], 1)

    # A second request for the same version renders nothing new.
    client.post(export_url)
    assert NarrativeExport.objects.get(narrative=narrative, fmt="docx").attempt == 1


def test_concurrent_requests_make_one_row_and_one_render(owner, make_narrative, export_worker, export_dir):
    narrative = make_narrative(owner)
    barrier = threading.Barrier(6)
    codes = []

    def ask():
        client = Client()
        client.force_login(owner)
        barrier.wait()
        try:
            codes.append(client.post(reverse("narratives:export", args=[narrative.pk, "epub"])).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [302] * 6
    wait_for(lambda: _status(narrative, "epub") == "ready", timeout=60, what="the render")
    row = NarrativeExport.objects.get(narrative=narrative, fmt="epub")
    assert row.attempt == 1 and row.render_seconds is not None
    assert len(list(export_dir.rglob("*.epub"))) == 1


def test_a_changed_version_is_not_served_the_old_file(owner, make_narrative, export_worker):
    narrative = make_narrative(owner)
    client = Client()
    client.force_login(owner)
    export_url = reverse("narratives:export", args=[narrative.pk, "pdf"])
    client.post(export_url)
    wait_for(lambda: _status(narrative, "pdf") == "ready", timeout=90, what="the render")
    client.post(reverse("narratives:rename", args=[narrative.pk]), {"title": "Another Title"})
    response = client.get(reverse("narratives:download", args=[narrative.pk, "pdf"]))
    assert response["Location"] == export_url  # a new version needs its own file
    client.post(export_url)
    wait_for(
        lambda: NarrativeExport.objects.filter(narrative=narrative, status="ready").count() == 2,
        timeout=90,
        what="the second render",
    )


@pytest.mark.django_db
def test_txt_and_markdown_stay_immediate(owner_client, narrative):
    response = owner_client.get(reverse("narratives:download", args=[narrative.pk, "md"]))
    assert response.status_code == 200 and b"Mara left the harbour" in response.content
    url = reverse("narratives:export", args=[narrative.pk, "txt"])
    assert owner_client.post(url)["Location"] == reverse("narratives:download", args=[narrative.pk, "txt"])
    assert not NarrativeExport.objects.exists()


@pytest.mark.django_db
def test_another_users_or_unknown_exports_are_404_and_write_nothing(
    client, owner, other_user, narrative, staff
):
    for person in (other_user, staff):
        client.force_login(person)
        for url in (
            reverse("narratives:export", args=[narrative.pk, "docx"]),
            reverse("narratives:download", args=[narrative.pk, "docx"]),
        ):
            assert client.get(url).status_code == 404
            assert client.post(url).status_code in (404, 405)
    client.force_login(owner)
    assert client.post(reverse("narratives:export", args=[narrative.pk, "exe"])).status_code == 404
    assert not NarrativeExport.objects.exists()
    assert Narrative.objects.get(pk=narrative.pk).exported_formats == []


@pytest.mark.django_db
def test_the_reader_offers_prepared_formats_as_forms(owner_client, narrative):
    body = owner_client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode()
    assert f'action="{reverse("narratives:export", args=[narrative.pk, "pdf"])}"' in body
    assert f'href="{reverse("narratives:download", args=[narrative.pk, "txt"])}" download' in body


@pytest.mark.django_db
def test_a_novels_txt_goes_to_the_worker_too(owner_client, owner, make_narrative):
    from narratives.export_services import SYNC_MAX_WORDS

    long = make_narrative(owner, title="Long", word_count=SYNC_MAX_WORDS + 1)
    response = owner_client.get(reverse("narratives:download", args=[long.pk, "txt"]))
    assert response["Location"] == reverse("narratives:export", args=[long.pk, "txt"])
    assert owner_client.post(reverse("narratives:export", args=[long.pk, "txt"])).status_code == 302
    assert NarrativeExport.objects.get(narrative=long).fmt == "txt"
