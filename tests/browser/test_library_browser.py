"""Library → reader → an EPUB prepared by a real worker, downloaded, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def export_worker(live_server, redis_conn, tmp_path, settings):
    from jobs.tests.conftest import Workers

    folder = tmp_path / "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    pool = Workers(settings.DATABASES["default"]["NAME"], settings.REDIS_URL)
    pool.start("default", env={"NF_EXPORTS_DIR": str(folder)}, scheduler=False)
    yield pool
    pool.stop_all()


def test_library_reader_and_epub_download(live_server, export_worker, page: Page, tmp_path, shoot):
    # live_server first: the test database must exist before Playwright starts its event loop.
    from ebooklib import epub

    from accounts.models import User
    from narratives.models import Narrative
    from narratives.tests.conftest import GERMAN, POLISH, SAMPLE_CHAPTERS, chapter_text, sample_metadata

    user = User.objects.create_user(
        email="reader@example.com",
        password="a-long-pass-phrase-9",  # noqa: S106
        full_name="Rita Reader",
    )
    text = chapter_text(SAMPLE_CHAPTERS)
    common = {
        "production_type": "short_story",
        "genre": "fantasy",
        "generation_cost_usd": 0.0,
        "tokens_used": 2300,
        "metadata": sample_metadata("en"),
    }
    Narrative.objects.create(
        user=user, title="Another Tale", narrative_text="## One\n\nQuiet.", word_count=1, **common
    )
    narrative = Narrative.objects.create(
        user=user,
        title="The Salt Road",
        narrative_text=text,
        word_count=len(text.split()),
        overall_quality_score=0.84,
        quality_metrics=common["metadata"]["quality_metrics"],
        **common,
    )
    base = live_server.url
    sign_in(page, base, user)

    page.goto(base + "/narratives/")
    expect(page.get_by_role("heading", name="Library", level=1)).to_be_visible()
    expect(page.get_by_text("2 narratives")).to_be_visible()
    page.get_by_label("Search").fill("harbour")  # htmx swaps the results as you type
    expect(page.get_by_text("1 narrative matching")).to_be_visible()
    expect(page.get_by_role("link", name="Another Tale")).to_have_count(0)
    shoot("20-library")

    page.get_by_role("link", name="The Salt Road").click()
    expect(page.get_by_role("heading", name="The Salt Road", level=1)).to_be_visible()
    toc = page.get_by_role("navigation", name="Contents")
    for title, _ in SAMPLE_CHAPTERS:
        expect(toc.get_by_role("link", name=title)).to_be_visible()
    toc.get_by_role("link", name=SAMPLE_CHAPTERS[1][0]).click()
    expect(page).to_have_url(re.compile("#ch-2$"))
    expect(page.get_by_text(GERMAN)).to_be_visible()
    expect(page.get_by_text(re.compile(re.escape(POLISH)))).to_be_visible()
    expect(page.locator(".reader__panel").get_by_text("Offline engine").first).to_be_visible()
    first_metric = next(iter(narrative.quality_metrics.values()))  # from a real offline run
    expect(page.get_by_text(first_metric["explanation"]).first).to_be_visible()
    shoot("21-reader")

    page.get_by_role("button", name="EPUB").click()  # a worker makes the file; the page updates itself
    expect(page.get_by_role("heading", name="EPUB 3", level=1)).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download EPUB").click(timeout=60_000)
    download = info.value
    assert download.suggested_filename == "the-salt-road.epub"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = epub.read_epub(str(path))
    assert book.get_metadata("DC", "title")[0][0] == "The Salt Road"
    assert [link.title for link in book.toc] == [t for t, _ in SAMPLE_CHAPTERS]

    narrative.refresh_from_db()
    assert narrative.view_count == 0  # the owner's own reads are not views
    assert (narrative.download_count, narrative.exported_formats) == (1, ["epub"])
