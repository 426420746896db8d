"""The plan editor says what form each field wants, so edits read well in the prose."""

from __future__ import annotations

import html

from django.urls import reverse

from jobs.tests.test_views import make_planning_job


def test_the_plan_editor_says_what_form_summaries_events_and_goals_take(client, owner, project):
    job = make_planning_job(owner, project)
    client.force_login(owner)
    page = html.unescape(client.get(reverse("jobs:plan", args=[job.id])).content.decode())
    assert "One sentence in the present tense, starting with who acts" in page
    assert "each starting with a character's name and a verb in the present tense" in page
    assert "What follows “wants”" in page and "From what to what" in page
