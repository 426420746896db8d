"""The page cache (narraforge.pagecache): a page opened again costs the user and one version query,
and shows every change at once, whoever made it (the worker, raw SQL, another session)."""

import time

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import GenerationJob, JobStatus
from narraforge import pagecache
from narraforge.tests.ui_helpers import make_job, make_narrative
from narratives.models import Narrative
from narratives.services import narrative_record_download
from projects.services import project_create

pytestmark = pytest.mark.django_db

TEXT = "## One\n\nThe ferrywoman crossed the river at dawn.\n\n## Two\n\nThe river forgot her name.\n"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.NF_PAGE_CACHE_SECONDS = 60
    pagecache.pages.clear()
    yield
    pagecache.pages.clear()


@pytest.fixture
def shelf(owner):
    project = project_create(user=owner, name="Rivers")
    job = make_job(owner, project, status=JobStatus.RUNNING)
    narrative = make_narrative(owner, project, title="The Ferry", narrative_text=TEXT, word_count=14)
    return {"project": project, "job": job, "narrative": narrative}


def _sign_in(client, user):
    client.force_login(user)
    client.get(reverse("accounts:profile"))  # a browser has its CSRF cookie from an earlier page


def _open(client, url, **headers):
    """(html, queries) of one GET."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode(), len(ctx.captured_queries)


PAGES = {
    "dashboard": lambda s: reverse("home"),
    "library": lambda s: reverse("narratives:library"),
    "library search": lambda s: reverse("narratives:library") + "?q=ferrywoman",
    "reader": lambda s: reverse("narratives:detail", args=[s["narrative"].pk]),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_page_opened_again_costs_the_user_and_one_version_query(client, owner, shelf, page):
    _sign_in(client, owner)
    url = PAGES[page](shelf)
    first, built = _open(client, url)
    again, queries = _open(client, url)
    assert queries == 2, f"{page}: {queries} queries from the cache (the user, the version)"
    assert built > queries
    assert again == first


def test_the_dashboard_shows_the_workers_progress_at_once(client, owner, shelf):
    _sign_in(client, owner)
    assert "42%" in _open(client, "/")[0]
    # The worker writes progress with a fenced queryset UPDATE: no model save, no signal.
    GenerationJob.objects.filter(pk=shelf["job"].pk).update(progress_percentage=77.0)
    assert "77%" in _open(client, "/")[0]


def test_a_narrative_inserted_by_plain_sql_is_in_the_library_at_once(client, owner, shelf):
    _sign_in(client, owner)
    url = reverse("narratives:library")
    assert "Salt Road" not in _open(client, url)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO narratives (id, user_id, title, narrative_text, word_count, production_type, genre,"
            " metadata, generation_cost_usd, tokens_used, created_at, updated_at, version)"
            " VALUES (gen_random_uuid()::text, %s, 'Salt Road', %s, 14, 'short_story', 'fantasy', '{}', 0, 0,"
            " now(), now(), 1)",
            [owner.pk, TEXT],
        )
    assert "Salt Road" in _open(client, url)[0]


def test_a_rename_by_plain_sql_shows_in_the_reader_and_the_library(client, owner, shelf):
    _sign_in(client, owner)
    reader = reverse("narratives:detail", args=[shelf["narrative"].pk])
    library = reverse("narratives:library")
    _open(client, reader), _open(client, library)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE narratives SET title = 'The Crossing' WHERE id = %s", [shelf["narrative"].pk])
    assert "The Crossing" in _open(client, reader)[0]
    assert "The Crossing" in _open(client, library)[0]


def test_a_download_shows_in_the_counts_at_once(client, owner, shelf):
    _sign_in(client, owner)
    library = reverse("narratives:library")
    assert "0 downloads" in _open(client, library)[0]
    narrative_record_download(narrative=shelf["narrative"], fmt="md")  # leaves updated_at alone
    assert "1 download" in _open(client, library)[0]


def test_a_deleted_narrative_leaves_the_dashboard_and_the_library(client, owner, shelf):
    _sign_in(client, owner)
    make_narrative(owner, shelf["project"], title="Second Crossing")
    for url in ("/", reverse("narratives:library")):
        assert "Second Crossing" in _open(client, url)[0]
    Narrative.objects.filter(title="Second Crossing").delete()
    for url in ("/", reverse("narratives:library")):
        assert "Second Crossing" not in _open(client, url)[0]


def test_the_usage_panel_follows_the_writers_spend(client, owner, shelf):
    _sign_in(client, owner)
    _open(client, "/")
    type(owner).objects.filter(pk=owner.pk).update(monthly_cost_used_usd=3.25)
    assert "$3.25" in _open(client, "/")[0]


def test_another_user_never_gets_the_owners_page(client, owner, other_user, shelf):
    _sign_in(client, owner)
    for page in PAGES.values():
        _open(client, page(shelf))
    theirs = Client()
    _sign_in(theirs, other_user)
    for url in ("/", reverse("narratives:library")):
        html = theirs.get(url).content.decode()
        assert "The Ferry" not in html and "Rivers" not in html
    assert theirs.get(PAGES["reader"](shelf)).status_code == 404


def test_staff_get_their_own_header_and_their_own_page(client, owner, staff, shelf):
    _sign_in(client, owner)
    owner_html = _open(client, "/")[0]
    theirs = Client()
    _sign_in(theirs, staff)
    staff_html = theirs.get("/").content.decode()
    assert "The Ferry" in owner_html and "The Ferry" not in staff_html
    assert staff.email in staff_html and owner.email not in staff_html
    assert theirs.get(PAGES["reader"](shelf)).status_code == 404


def test_each_session_gets_a_page_with_its_own_form_token(owner, shelf):
    pages = []
    for _ in range(2):
        session = Client()
        _sign_in(session, owner)
        html = session.get("/").content.decode()
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        pages.append((_unmask_cipher_token(token), session.cookies["csrftoken"].value))
    for secret, cookie in pages:
        assert secret == cookie  # a form on the page posts with this session's token
    assert pages[0][0] != pages[1][0]


def test_a_flash_message_is_shown_once_and_then_the_page_is_cached_again(client, owner, shelf):
    _sign_in(client, owner)
    _open(client, "/")
    _open(client, "/")
    response = client.post(reverse("projects:create"), {"name": "Estuary"}, follow=True)
    assert response.status_code == 200
    html, _ = _open(client, "/")
    assert "Estuary" in html
    assert html.count('class="messages"') == 0  # shown on the page after the POST, not again
    _, queries = _open(client, "/")
    assert queries == 2


def test_an_htmx_request_and_a_full_page_are_kept_apart(client, owner, shelf):
    _sign_in(client, owner)
    url = reverse("narratives:library")
    full, _ = _open(client, url)
    partial, _ = _open(client, url, **{"HX-Request": "true", "HX-Target": "library-results"})
    assert "<html" in full and "<html" not in partial
    assert "<html" in _open(client, url)[0]
    assert "<html" not in _open(client, url, **{"HX-Request": "true", "HX-Target": "library-results"})[0]


def test_a_polish_search_is_built_fresh_while_its_lemmas_are_pending(client, owner, shelf):
    make_narrative(
        owner, shelf["project"], title="Przewoźniczka", metadata={"language": "pl"}, narrative_text=TEXT
    )
    _sign_in(client, owner)
    url = reverse("narratives:library") + "?q=rzeka"
    _, built = _open(client, url)
    _, again = _open(client, url)
    assert again == built  # not from the cache: lemmatising will change what it finds


def test_a_page_is_built_again_after_the_configured_seconds(client, owner, shelf, settings):
    settings.NF_PAGE_CACHE_SECONDS = 0.2  # relative times ("2 minutes ago") are at most this old
    _sign_in(client, owner)
    _, built = _open(client, "/")
    assert _open(client, "/")[1] == 2
    time.sleep(0.3)
    assert _open(client, "/")[1] == built


def test_the_page_cache_can_be_turned_off(client, owner, shelf, settings):
    settings.NF_PAGE_CACHE_SECONDS = 0
    _sign_in(client, owner)
    _, built = _open(client, "/")
    assert _open(client, "/")[1] == built


def test_a_page_one_process_built_is_served_to_the_others_from_redis(client, owner, shelf):
    _sign_in(client, owner)
    first, built = _open(client, "/")
    pagecache.pages.clear()  # another gunicorn worker, or another host: nothing in its memory
    again, queries = _open(client, "/")
    assert (again, queries) == (first, 2)
    assert len(pagecache.pages) == 1  # and kept in that process from then on


def test_a_shared_page_older_than_the_configured_seconds_is_built_again(client, owner, shelf, settings):
    settings.NF_PAGE_CACHE_SECONDS = 0.3
    _sign_in(client, owner)
    _, built = _open(client, "/")
    time.sleep(0.4)
    pagecache.pages.clear()
    assert _open(client, "/")[1] == built  # Redis still holds it (whole seconds), but it is too old


def test_a_redis_outage_costs_builds_not_pages(client, owner, shelf, monkeypatch, caplog):
    _sign_in(client, owner)
    # The page cache's Redis is down (a real client on a closed port); sessions still work.
    monkeypatch.setattr(pagecache, "cache", RedisCache("redis://127.0.0.1:1/0", {}))
    for _ in range(2):
        pagecache.pages.clear()
        html, _ = _open(client, reverse("narratives:library"))
        assert "The Ferry" in html
    assert "page cache: Redis unavailable" in caplog.text
