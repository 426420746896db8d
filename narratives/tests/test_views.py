"""Library, reader, versions and downloads through the web, as each kind of visitor."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from narratives.exports import FORMATS
from narratives.models import Narrative
from narratives.tests.conftest import POLISH, SAMPLE_CHAPTERS

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _urls(n):
    return [
        ("get", reverse("narratives:detail", args=[n.pk])),
        ("get", reverse("narratives:versions", args=[n.pk])),
        ("get", reverse("narratives:diff", args=[n.pk]) + f"?against={n.pk}"),
        ("get", reverse("narratives:revise", args=[n.pk])),
        ("post", reverse("narratives:revise", args=[n.pk])),
        ("get", reverse("narratives:rename", args=[n.pk])),
        ("post", reverse("narratives:rename", args=[n.pk])),
        ("get", reverse("narratives:delete", args=[n.pk])),
        ("post", reverse("narratives:delete", args=[n.pk])),
        *[("get", reverse("narratives:download", args=[n.pk, f])) for f in FORMATS],
    ]


def test_anonymous_visitors_are_sent_to_login_everywhere(client, narrative):
    for method, url in [("get", reverse("narratives:library")), *_urls(narrative)]:
        response = getattr(client, method)(url, {"title": "Hacked", "instructions": "x" * 20})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url
    narrative.refresh_from_db()
    assert (narrative.title, narrative.view_count, narrative.download_count) == ("The Salt Road", 0, 0)


@pytest.mark.parametrize("persona", ["other_user", "staff"])
def test_another_users_narrative_is_404_on_every_url_and_nothing_changes(client, persona, narrative, request):
    client.force_login(request.getfixturevalue(persona))  # staff too: the admin is the staff's tool
    for method, url in _urls(narrative):
        response = getattr(client, method)(url, {"title": "Hacked", "instructions": "Rewrite it all please."})
        assert response.status_code == 404, (method, url)
    narrative.refresh_from_db()
    assert (narrative.title, narrative.view_count, narrative.download_count) == ("The Salt Road", 0, 0)
    assert narrative.exported_formats == []


def test_diff_against_another_users_version_is_404(owner_client, other_user, narrative, make_narrative):
    theirs = make_narrative(other_user)
    url = reverse("narratives:diff", args=[narrative.pk]) + f"?against={theirs.pk}"
    assert owner_client.get(url).status_code == 404


def test_library_lists_only_my_narratives_without_loading_their_text(
    owner_client, owner, other_user, make_narrative
):
    make_narrative(owner, title="Mine")
    make_narrative(other_user, title="Not mine")
    response = owner_client.get(reverse("narratives:library"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mine" in body and "Not mine" not in body
    page = response.context["page"]
    assert "narrative_text" in page.object_list[0].get_deferred_fields()


def test_library_filters_sort_latest_only_and_pagination(owner_client, owner, make_narrative):
    from projects.models import Project

    project = Project.objects.create(user=owner, name="Saga")
    first = make_narrative(
        owner, title="Alpha", genre="horror", word_count=100, overall_quality_score=0.2, project=project
    )
    make_narrative(
        owner,
        title="Beta v2",
        genre="horror",
        word_count=300,
        overall_quality_score=0.9,
        parent_narrative=first,
        version=2,
        project=project,
    )
    make_narrative(
        owner,
        title="Gamma",
        genre="scifi",
        production_type="novel",
        word_count=200,
        overall_quality_score=None,
    )

    def titles(**params):
        response = owner_client.get(reverse("narratives:library"), params)
        assert response.status_code == 200
        return [str(n) for n in response.context["page"].object_list]

    assert titles() == ["Gamma", "Beta v2", "Alpha"]
    assert titles(genre="horror") == ["Beta v2", "Alpha"]
    assert titles(production_type="novel") == ["Gamma"]
    assert titles(project=project.pk) == ["Beta v2", "Alpha"]
    assert titles(latest="on") == ["Gamma", "Beta v2"]
    assert titles(sort="words") == ["Beta v2", "Gamma", "Alpha"]
    assert titles(sort="quality") == ["Beta v2", "Alpha", "Gamma"]  # no score sorts last
    assert titles(sort="oldest") == ["Alpha", "Beta v2", "Gamma"]
    assert titles(genre="not-a-genre") == ["Gamma", "Beta v2", "Alpha"]  # bad filter ignored, not a 500

    for i in range(25):
        make_narrative(owner, title=f"Bulk {i}")
    response = owner_client.get(reverse("narratives:library"), {"page": 2})
    assert len(response.context["page"].object_list) == 8
    assert response.context["page"].paginator.count == 28


def test_library_htmx_request_gets_only_the_results(owner_client, narrative):
    response = owner_client.get(
        reverse("narratives:library"),
        {"q": "salt"},
        headers={"HX-Request": "true", "HX-Target": "library-results"},
    )
    body = response.content.decode()
    assert "<html" not in body and "The Salt Road" in body


def test_reader_shows_chapters_toc_and_side_panel(owner_client, narrative):
    response = owner_client.get(reverse("narratives:detail", args=[narrative.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for number in range(1, len(SAMPLE_CHAPTERS) + 1):
        assert f'href="#ch-{number}"' in body
        assert f'id="ch-{number}"' in body
    assert POLISH in body
    assert "the &lt;old&gt; wells" in body  # escaped text
    meta = narrative.metadata  # what a real offline run wrote (see conftest)
    first_metric = next(iter(narrative.quality_metrics.values()))
    for expected in (
        "Offline engine",
        escape(meta["world"]["name"]),
        escape(meta["characters"][0]["name"]),
        escape(meta["structure"]["acts"][0]["name"]),
        escape(first_metric["explanation"]),
        "Sequential generation",
        f"{meta['usage_by_tier']['gpt4']['tokens']:,}",
    ):
        assert expected in body, expected


def test_the_owners_own_reads_and_head_requests_do_not_count_as_views_or_write(owner_client, narrative):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("narratives:detail", args=[narrative.pk])
    updated_at = narrative.updated_at
    with CaptureQueriesContext(connection) as ctx:
        assert owner_client.get(url).status_code == 200
        assert owner_client.head(url).status_code == 200
    sqls = [q["sql"].lstrip() for q in ctx.captured_queries]
    writes = [sql for sql in sqls if sql.upper().startswith(("UPDATE", "INSERT"))]
    assert not [w for w in writes if "narratives" in w], writes
    narrative.refresh_from_db()
    assert (narrative.view_count, narrative.updated_at) == (0, updated_at)


def test_a_view_by_someone_else_counts_once_and_a_head_never(narrative, other_user, owner):
    from narratives.services import narrative_record_view

    narrative_record_view(narrative=narrative, viewer=other_user, method="GET")
    narrative_record_view(narrative=narrative, viewer=other_user, method="HEAD")
    narrative_record_view(narrative=narrative, viewer=owner, method="GET")
    narrative.refresh_from_db()
    assert narrative.view_count == 1


def test_counting_a_download_keeps_the_versions_updated_at(owner_client, narrative):
    updated_at = narrative.updated_at
    assert owner_client.get(reverse("narratives:download", args=[narrative.pk, "txt"])).status_code == 200
    narrative.refresh_from_db()
    assert (narrative.download_count, narrative.updated_at) == (1, updated_at)


def test_xss_in_title_and_text_is_shown_escaped_everywhere(owner_client, owner, make_narrative):
    n = make_narrative(owner, title=XSS, chapters=[(XSS, [XSS, "Plain."])])
    parent = make_narrative(owner, title="Parent", chapters=[(XSS, ["Plain."])])
    Narrative.objects.filter(pk=n.pk).update(parent_narrative=parent, version=2)
    pages = [
        reverse("narratives:library"),
        reverse("narratives:library") + "?q=alert",
        reverse("narratives:detail", args=[n.pk]),
        reverse("narratives:versions", args=[n.pk]),
        reverse("narratives:diff", args=[n.pk]),
        reverse("narratives:revise", args=[n.pk]),
        reverse("narratives:rename", args=[n.pk]),
        reverse("narratives:delete", args=[n.pk]),
        reverse("narratives:delete", args=[parent.pk]),
    ]
    for url in pages:
        body = owner_client.get(url).content.decode()
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
    body = owner_client.get(reverse("narratives:detail", args=[n.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_download_counts_sets_headers_and_records_the_format_once(owner_client, narrative):
    url = reverse("narratives:download", args=[narrative.pk, "md"])
    response = owner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="the-salt-road.md"'
    assert b"Mara left the harbour" in response.content
    owner_client.get(url)
    owner_client.get(reverse("narratives:download", args=[narrative.pk, "txt"]))
    # EPUB, DOCX and PDF are files a worker makes (test_export_jobs.py): not ready = no download.
    assert owner_client.get(reverse("narratives:download", args=[narrative.pk, "epub"])).status_code == 302
    narrative.refresh_from_db()
    assert narrative.download_count == 3
    assert narrative.exported_formats == ["md", "txt"]
    assert owner_client.get(reverse("narratives:download", args=[narrative.pk, "exe"])).status_code == 404
    narrative.refresh_from_db()
    assert narrative.download_count == 3


def test_rename_saves_a_clean_title_and_bad_forms_write_nothing(owner_client, narrative):
    url = reverse("narratives:rename", args=[narrative.pk])
    for bad in ("", "   ", "x" * 501):
        response = owner_client.post(url, {"title": bad})
        assert response.status_code == 400
        narrative.refresh_from_db()
        assert narrative.title == "The Salt Road"
    response = owner_client.post(url, {"title": "  A   New\tName "})
    assert response.status_code == 302
    assert response["Location"] == reverse("narratives:detail", args=[narrative.pk])
    narrative.refresh_from_db()
    assert narrative.title == "A New Name"


def test_post_without_csrf_token_is_refused(owner, narrative):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for name in ("narratives:rename", "narratives:delete", "narratives:revise"):
        url = reverse(name, args=[narrative.pk])
        assert client.post(url, {"title": "X", "instructions": "Make it longer please."}).status_code == 403
    narrative.refresh_from_db()
    assert narrative.title == "The Salt Road"


def test_delete_confirmation_says_what_else_goes_and_children_survive(owner_client, owner, make_narrative):
    from projects.models import Project

    project = Project.objects.create(
        user=owner, name="Saga", narrative_count=2, total_word_count=500, total_cost_usd=1.5
    )
    parent = make_narrative(owner, title="First", project=project, word_count=200)
    child = make_narrative(
        owner, title="Second", parent_narrative=parent, version=2, project=project, word_count=300
    )
    url = reverse("narratives:delete", args=[parent.pk])
    body = owner_client.get(url).content.decode()
    assert "1 later version made from it" in body and "v2" in body and "no longer link back" in body
    assert "Saga" in body
    assert Narrative.objects.filter(pk=parent.pk).exists()  # GET deletes nothing

    response = owner_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("narratives:library")
    assert not Narrative.objects.filter(pk=parent.pk).exists()
    child.refresh_from_db()
    assert child.parent_narrative_id is None
    project.refresh_from_db()
    assert (project.narrative_count, project.total_word_count, project.total_cost_usd) == (1, 300, 1.5)


def test_versions_page_shows_the_chain_and_diff_compares_two_versions(owner_client, owner, make_narrative):
    v1 = make_narrative(owner, title="Saga", chapters=[("One", ["The sea was calm.", "Mara slept."])])
    v2 = make_narrative(
        owner,
        title="Saga",
        parent_narrative=v1,
        version=2,
        chapters=[("One", ["The sea was wild.", "Mara slept.", "Thunder came."])],
    )
    v3 = make_narrative(
        owner,
        title="Saga redux",
        parent_narrative=v2,
        version=3,
        chapters=[("One", ["The sea was wild.", "Thunder came."])],
    )
    sibling = make_narrative(owner, title="Saga alt", parent_narrative=v1, version=2)
    response = owner_client.get(reverse("narratives:versions", args=[v2.pk]))
    family = [n.pk for n in response.context["family"]]
    assert family[0] == v1.pk and set(family) == {v1.pk, v2.pk, v3.pk, sibling.pk}

    response = owner_client.get(reverse("narratives:diff", args=[v3.pk]) + f"?against={v1.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "v1 → v3" in body
    assert "<del>calm</del><ins>wild</ins>" in body
    assert "<ins>Thunder came.</ins>" in body
    assert "<del>Mara slept.</del>" in body
    # Without ?against the diff is against the parent.
    response = owner_client.get(reverse("narratives:diff", args=[v2.pk]))
    assert response.context["old"].pk == v1.pk


def test_it_starts_a_revision_of_the_ticked_chapters_only_and_opens_its_page(owner_client, owner, narrative):
    from jobs.models import GenerationJob, JobRuntime
    from projects.services import project_create

    project = project_create(user=owner, name="Salt Coast")
    Narrative.objects.filter(pk=narrative.pk).update(project=project)
    url = reverse("narratives:revise", args=[narrative.pk])
    response = owner_client.post(url, {"instructions": "Make the ending darker.", "chapters": ["3"]})
    job = GenerationJob.objects.get(user=owner)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    runtime = JobRuntime.objects.get(pk=job.pk)
    assert runtime.kind == JobRuntime.Kind.REVISE_CHAPTERS and runtime.parent_narrative_id == narrative.pk
    assert runtime.scope["chapters"] == [3] and runtime.scope["instructions"] == "Make the ending darker."
    # The brief (and so the offline engine's seed) is the narrative's own: only the scope changes.
    assert not job.production_brief.get("revision_instructions")


def test_it_refuses_a_revision_the_service_refuses_and_starts_no_job(owner_client, owner, narrative):
    from jobs.models import GenerationJob

    # No project (it was deleted): the service refuses, the page says why, nothing is written.
    url = reverse("narratives:revise", args=[narrative.pk])
    response = owner_client.post(url, {"instructions": "Make the ending darker.", "all_chapters": "on"})
    assert response.status_code == 400
    assert "project no longer exists" in response.content.decode()
    response = owner_client.post(url, {"instructions": ""})
    assert response.status_code == 400
    assert not GenerationJob.objects.exists()


def test_the_reader_builds_a_versions_html_once_and_again_after_a_change(
    owner_client, narrative, monkeypatch
):
    from django.core.cache import cache

    from narratives import reader

    cache.clear()
    reader.local_bodies.clear()
    built = []
    real = reader.build_body
    monkeypatch.setattr(reader, "build_body", lambda n: built.append(n.pk) or real(n))
    url = reverse("narratives:detail", args=[narrative.pk])
    first = owner_client.get(url).content.decode()
    second = owner_client.get(url).content.decode()
    assert built == [narrative.pk]
    with CaptureQueriesContext(connection) as ctx:
        owner_client.get(url)
    assert not [
        q for q in ctx.captured_queries if "narrative_text" in q["sql"]
    ]  # a cached body: no text read
    assert first.count("<p>") == second.count("<p>") > 5 and "Mara left the harbour" in second
    owner_client.post(reverse("narratives:rename", args=[narrative.pk]), {"title": "A New Title"})
    assert "A New Title" in owner_client.get(url).content.decode()
    assert built == [narrative.pk, narrative.pk]


def test_a_process_serves_a_body_it_has_built_without_the_shared_cache(owner_client, narrative, monkeypatch):
    """Issue 18 §6: a 100k-word body is ~600 KB; reading it back from Redis on every open was the
    reader's largest cost. The process keeps the bodies it served last; a changed version is a new key."""
    from django.core.cache import cache

    from narratives import reader

    reader.local_bodies.clear()
    url = reverse("narratives:detail", args=[narrative.pk])
    first = owner_client.get(url).content.decode()
    asked = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: asked.append(key) or real_get(key, *a, **k))
    assert owner_client.get(url).content.decode().count("<p>") == first.count("<p>")
    assert not [key for key in asked if str(key).startswith("reader:")]
    owner_client.post(reverse("narratives:rename", args=[narrative.pk]), {"title": "Renamed"})
    assert "Renamed" in owner_client.get(url).content.decode()
    assert [key for key in asked if str(key).startswith("reader:")]  # a new version: looked up anew
