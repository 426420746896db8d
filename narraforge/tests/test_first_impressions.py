"""The landing page's sample and the first visit's welcome (issue 19, "Layout and first impressions")."""

import html as html_lib

import pytest
from django.urls import reverse

from narraforge.tests.ui_helpers import make_job, make_narrative
from projects.services import project_create

pytestmark = pytest.mark.django_db


def test_the_landing_sample_is_a_real_unedited_excerpt_of_the_offline_engine(client):
    from jobs.pipeline import Brief, get_backend, run_pipeline
    from jobs.sample import SAMPLE_BRIEF

    page = html_lib.unescape(client.get("/").content.decode())
    story = run_pipeline(Brief.from_dict(SAMPLE_BRIEF), backend=get_backend("offline")).text
    excerpt = page.split('data-testid="sample-excerpt">')[1].split("</blockquote>")[0]
    paragraphs = [p.split("</p>")[0].strip() for p in excerpt.split("<p>")[1:]]
    assert paragraphs and sum(len(p.split()) for p in paragraphs) >= 40
    assert "\n\n".join(paragraphs) in story  # word for word, in order
    assert "Mira waded between the shelves" not in page  # the old hand-written card
    assert "real, unedited excerpt" in page and "offline engine" in page and "not a language model" in page


def test_a_brand_new_account_is_welcomed_with_the_three_steps_not_welcome_back(client, owner):
    client.force_login(owner)
    html = client.get(reverse("home")).content.decode()
    assert "Welcome back" not in html
    assert "Welcome to NarraForge, Olive" in html
    for step in ("Create a project", "Write a brief", "Read it"):
        assert step in html
    assert "offline engine" in html and "not a language model" in html


def test_the_steps_follow_the_writer_until_the_first_narrative(client, owner):
    project = project_create(user=owner, name="Tidewater")
    client.force_login(owner)
    html = client.get(reverse("home")).content.decode()
    assert "Welcome back" in html and "Next steps" in html
    assert "steps__item steps__item--done" in html  # the project step is ticked
    assert f'href="{reverse("projects:detail", args=[project.id])}"' in html
    make_narrative(owner, project, job=make_job(owner, project, status="completed"))
    html = client.get(reverse("home")).content.decode()
    assert "Welcome back" in html and 'data-testid="welcome"' not in html


def test_another_writers_projects_do_not_make_me_a_returning_writer(client, owner, other_user):
    project_create(user=other_user, name="Elsewhere")
    client.force_login(owner)
    assert "Welcome to NarraForge" in client.get(reverse("home")).content.decode()
