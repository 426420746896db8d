"""Hostile text in every user field is shown escaped on every page and carries no live markup in exports."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client

from tests.security.conftest import make_owned

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
LIVE = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>")
EXPORT_FORMATS = ("txt", "md", "epub", "docx", "pdf")


def _hostile(tag: str) -> str:
    return f"{tag} {PAYLOADS[0]} {PAYLOADS[1]}"


@pytest.fixture
def hostile(owner):
    from jobs.services import job_create
    from narratives.services import narrative_rename
    from projects.codex_services import codex_entry_create
    from projects.services import project_update, world_update

    owned = make_owned(
        owner,
        name=_hostile("Name"),
        description=_hostile("Description"),
        instructions=_hostile("Instructions"),
        brief={
            "production_type": "short_story",
            "genre": "fantasy",
            "target_words": 5000,
            "title": _hostile("Title"),
            "inspiration": _hostile("Inspiration"),
            "world_notes": _hostile("Notes"),
        },
    )
    world_update(
        project=owned.project,
        name=_hostile("World"),
        bible={"setting": _hostile("Setting"), "rules": [_hostile("Rule")]},
        timeline=[_hostile("Event")],
    )
    codex_entry_create(
        project=owned.project,
        kind="character",
        name=_hostile("Hero"),
        role=_hostile("Role"),
        aliases=[_hostile("Alias")],
        description=_hostile("Looks"),
    )
    project_update(project=owned.project, description=_hostile("Description"))
    narrative_rename(narrative=owned.narrative, title=_hostile("Narrative"))
    owner.full_name = _hostile("Profile")
    owner.save(update_fields=["full_name"])
    owned.second = job_create(
        user=owner,
        project=owned.project,
        brief={
            "production_type": "short_story",
            "genre": "fantasy",
            "inspiration": _hostile("Second"),
        },
    )
    return owned


def _assert_inert(body: str, where: str) -> None:
    for live in LIVE:
        assert live not in body, f"{where}: live markup {live!r}"


def test_payloads_are_escaped_on_every_page(hostile, owner, staff):
    client = Client()
    client.force_login(owner)
    p, j, n, r = hostile.project.pk, hostile.job.pk, hostile.narrative.pk, hostile.revision.pk
    pages = [
        "/",
        "/dashboard/running/",
        "/projects/",
        f"/projects/{p}/",
        f"/projects/{p}/edit/",
        f"/projects/{p}/world/",
        f"/projects/{p}/delete/",
        f"/jobs/new/{p}/",
        "/jobs/",
        f"/jobs/{j}/",
        f"/jobs/{j}/progress/",
        f"/jobs/{r}/",
        f"/jobs/{hostile.second.pk}/",
        "/narratives/",
        f"/narratives/{n}/",
        f"/narratives/{n}/versions/",
        f"/narratives/{n}/rename/",
        f"/narratives/{n}/revise/",
        f"/narratives/{n}/delete/",
        "/profile/",
        "/usage/",
        "/narratives/?q=%3Cscript%3Ealert(1)%3C/script%3E",
    ]
    shown = set()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        _assert_inert(body, url)
        shown.update(
            tag
            for tag in (
                "Name",
                "Description",
                "World",
                "Hero",
                "Narrative",
                "Profile",
                "Instructions",
                "Inspiration",
                "Second",
            )
            if f"{tag} &lt;script&gt;" in body
        )
    # Each field was really displayed somewhere (escaped), so the check above means something.
    assert {"Name", "Description", "World", "Hero", "Narrative", "Profile", "Second"} <= shown, shown
    admin = Client()
    admin.force_login(staff)
    for url in (
        "/admin/projects/project/",
        f"/admin/projects/project/{p}/change/",
        "/admin/jobs/generationjob/",
        f"/admin/jobs/generationjob/{j}/change/",
        "/admin/narratives/narrative/",
        f"/admin/narratives/narrative/{n}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{owner.pk}/change/",
        f"/admin/projects/world/{hostile.world.pk}/change/",
        "/ops/status/",
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        _assert_inert(response.content.decode(), url)


def test_exports_carry_no_live_markup(hostile, owner, settings, tmp_path):
    from narratives.export_services import is_sync, narrative_export_render
    from narratives.models import NarrativeExport

    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    client = Client()
    client.force_login(owner)
    for fmt in EXPORT_FORMATS:
        if not is_sync(fmt, hostile.narrative.word_count):  # a worker's: ask, then run its render here
            assert client.post(f"/narratives/{hostile.narrative.pk}/export/{fmt}/").status_code == 302
            export = NarrativeExport.objects.get(narrative=hostile.narrative, fmt=fmt)
            assert narrative_export_render(export_id=export.pk, attempt=export.attempt).status == "ready"
        response = client.get(f"/narratives/{hostile.narrative.pk}/download/{fmt}/")
        assert response.status_code == 200, fmt
        data = b"".join(response.streaming_content) if response.streaming else response.content
        if fmt in ("epub", "docx"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [
                    name
                    for name in archive.namelist()
                    if name.endswith((".xhtml", ".html", ".xml", ".opf", ".ncx"))
                ]
                assert names, fmt
                markup = {name: archive.read(name).decode("utf-8", errors="replace") for name in names}
            for name, body in markup.items():
                _assert_inert(body, f"{fmt}:{name}")
            joined = "".join(markup.values())
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined, (
                f"{fmt}: the title should be there, escaped"
            )
        elif fmt == "pdf":
            assert data.startswith(b"%PDF")
        else:  # plain text: the writer's own words, verbatim, served as text/plain or markdown
            assert response["Content-Type"].split(";")[0] in ("text/plain", "text/markdown"), fmt
            assert response.get("X-Content-Type-Options") == "nosniff"
