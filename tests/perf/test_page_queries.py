"""Queries per page of the signed-in page mix (issue 18 §6): fixed, whatever the library's size.

bench/bench_pagemix.py saturates these pages against a trivial signed-in view;
every query is a round trip each of them pays. The budgets below are what the
pages need today (the signed-in user is one of them); a new per-row query or a
new lookup on every page fails here before it shows in the bench.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import GenerationJob, JobRuntime
from narratives.models import Narrative
from projects.models import Project

pytestmark = pytest.mark.django_db

TEXT = "## One\n\nThe ferrywoman crossed the river at dawn.\n\n## Two\n\nThe river forgot her name.\n"


def _library(user, project, n: int) -> list[Narrative]:
    return [
        Narrative.objects.create(
            user=user,
            project=project,
            title=f"River {i}",
            narrative_text=TEXT,
            word_count=14,
            production_type="short_story",
            genre="fantasy",
            metadata={"language": "en"},
            generation_cost_usd=0.0,
            tokens_used=0,
        )  # fmt: skip
        for i in range(n)
    ]


@pytest.fixture
def shelf(owner):
    project = Project.objects.create(user=owner, name="Rivers")
    job = GenerationJob.objects.create(
        user=owner, project=project, status="running", current_stage="sequential_generation",
        progress_percentage=42.0, production_brief={"production_type": "novel", "genre": "fantasy",
        "target_words": 100_000, "inspiration": "A river that forgets.", "language": "en"},
    )  # fmt: skip
    JobRuntime.objects.get_or_create(job=job)
    return {"project": project, "job": job, "narratives": _library(owner, project, 3)}


def _queries(client, url, **headers) -> int:
    client.get(url, **headers)  # warm: the reader builds its body once
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


PAGES = {
    # page: (url of the shelf, queries allowed)
    "dashboard": (lambda s: reverse("home"), 4),
    "library": (lambda s: reverse("narratives:library"), 3),
    "library search": (lambda s: reverse("narratives:library") + "?q=ferrywoman+river", 7),
    "reader": (
        lambda s: reverse("narratives:detail", args=[s["narratives"][0].pk]),
        4,
    ),  # + the codex mentions
    "job page": (lambda s: reverse("jobs:detail", args=[s["job"].pk]), 2),
    "job progress": (lambda s: reverse("jobs:progress", args=[s["job"].pk]), 2),
}


@pytest.mark.parametrize("page", PAGES)
def test_each_page_of_the_mix_keeps_its_query_budget_at_any_library_size(
    client, owner, shelf, page, settings
):
    settings.NF_PAGE_CACHE_SECONDS = 0  # what building each page costs; a page-cache hit is below
    url, budget = PAGES[page]
    client.force_login(owner)
    headers = {"HTTP_HX_REQUEST": "true"} if page == "job progress" else {}
    small = _queries(client, url(shelf), **headers)
    assert small <= budget, f"{page}: {small} queries (budget {budget})"
    _library(owner, shelf["project"], 45)  # past two library pages
    large = _queries(client, url(shelf), **headers)
    # A library past one page is counted (one query more); nothing grows per narrative.
    assert large <= small + (1 if page.startswith("library") else 0), f"{page}: {small} -> {large} queries"
