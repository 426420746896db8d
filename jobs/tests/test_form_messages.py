"""What the generation form and the live estimate tell a writer (issue 19, "Forms and messages")."""

import re

import pytest
from django.urls import reverse

from jobs.models import GenerationJob
from projects.services import project_create

pytestmark = pytest.mark.django_db

FORM = {
    "production_type": "short_story",
    "genre": "fantasy",
    "title": "The Keeper",
    "inspiration": "A lighthouse keeper finds letters from the future.",
    "language": "en",
    "target_words": "",
    "tone": "neutral",
    "structure": "three_act",
    "pov": "third_limited",
    "tense": "past",
    "world_notes": "",
}

RANGES = {
    "short_story": "A short story is 5,000 to 10,000 words.",
    "novella": "A novella is 10,000 to 40,000 words.",
    "novel": "A novel is 40,000 to 120,000 words.",
    "epic_saga": "An epic saga is 120,000 to 500,000 words.",
}


@pytest.fixture
def project(owner):
    return project_create(user=owner, name="Tidewater")


@pytest.fixture
def writer(client, owner):
    client.force_login(owner)
    return client


def _submit(client, project, **change):
    return client.post(reverse("jobs:create", args=[project.id]), {**FORM, **change})


def _estimate(client, project, **change) -> str:
    return client.post(reverse("jobs:estimate", args=[project.id]), {**FORM, **change}).content.decode()


@pytest.mark.parametrize("ptype", list(RANGES))
def test_a_length_out_of_range_is_explained_with_the_labels_writers_see(writer, project, ptype):
    html = _submit(writer, project, production_type=ptype, target_words="-5").content.decode()
    error = re.search(r'id="id_target_words_error"><li>(.*?)</li>', html).group(1)
    assert error.startswith(RANGES[ptype])
    assert "_" not in error and "outside the" not in html and "(allowed:" not in html
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize(
    "words", ["0", "-5", "4999", "5000", "7500", "10000", "10001", "", "7,500", "abc", "1e4"]
)
def test_the_estimate_and_the_submit_agree_on_every_length(
    writer, project, words, django_capture_on_commit_callbacks
):
    estimate = _estimate(writer, project, target_words=words)
    with django_capture_on_commit_callbacks(execute=False):
        response = _submit(writer, project, target_words=words)
    accepted = response.status_code == 302
    assert ("Estimated cost" in estimate) == accepted, (words, estimate)
    if not accepted:
        # The very words the form shows under the field are the estimate's.
        error = re.search(r'id="id_target_words_error"><li>(.*?)</li>', response.content.decode()).group(1)
        assert error in estimate
    assert GenerationJob.objects.count() == (1 if accepted else 0)


def test_zero_words_is_refused_in_the_estimate_as_on_submit(writer, project):
    assert RANGES["short_story"] in _estimate(writer, project, target_words="0")
    assert RANGES["short_story"] in _submit(writer, project, target_words="0").content.decode()


def test_a_pasted_long_inspiration_is_not_cut_by_the_browser(writer, project):
    html = writer.get(reverse("jobs:create", args=[project.id])).content.decode()
    textarea = re.search(r'<textarea name="inspiration"[^>]*>', html).group(0)
    assert "maxlength" not in textarea
    assert 'data-limit="4000"' in textarea
    assert 'data-counter-for="id_inspiration"' in html and "/ 4,000 characters" in html


def test_a_long_inspiration_is_refused_with_a_message_and_kept_as_typed(writer, project):
    text = ("The keeper counts the letters again. " * 600)[:20_000]
    response = _submit(writer, project, inspiration=text)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This is 20,000 characters long; the limit is 4,000. Shorten it by 16,000 characters" in html
    assert text.strip() in html  # the writer's text comes back whole, to be shortened
    assert "field__counter--over" in html and "20,000</span> / 4,000 characters" in html
    assert "Inspiration: This is 20,000 characters long" in _estimate(writer, project, inspiration=text)
    assert GenerationJob.objects.count() == 0


def test_revision_instructions_are_refused_not_cut_too(client, owner, project):
    from narraforge.tests.ui_helpers import make_narrative

    narrative = make_narrative(owner, project)
    client.force_login(owner)
    url = reverse("narratives:revise", args=[narrative.pk])
    assert "maxlength" not in re.search(r"<textarea[^>]*>", client.get(url).content.decode()).group(0)
    html = client.post(url, {"instructions": "x" * 5000}).content.decode()
    assert "This is 5,000 characters long; the limit is 4,000." in html
    assert GenerationJob.objects.count() == 0


def test_an_over_limit_estimate_links_to_the_plans_page(writer, owner, project):
    from accounts.models import User

    User.objects.filter(pk=owner.pk).update(monthly_generations_used=5)
    html = _estimate(writer, project)
    assert "used all of this month" in html and f'href="{reverse("billing:plans")}"' in html


def _sent(client, project, django_capture_on_commit_callbacks, key="a1b2c3d4e5f6a7b8"):
    with django_capture_on_commit_callbacks(execute=False):
        response = _submit(client, project, submission_key=key)
    assert response.status_code == 302
    return GenerationJob.objects.get()


def test_back_on_a_sent_form_names_the_job_it_started(writer, project, django_capture_on_commit_callbacks):
    job = _sent(writer, project, django_capture_on_commit_callbacks)
    html = writer.get(reverse("jobs:create", args=[project.id])).content.decode()
    assert "data-remember-submission" in html and 'data-submission-status="/jobs/submitted/__key__/"' in html
    url = reverse("jobs:submitted", args=["a1b2c3d4e5f6a7b8"])
    response = writer.get(url, headers={"HX-Request": "true"})
    notice = response.content.decode()
    assert response.status_code == 200 and "<html" not in notice
    assert "You already sent this form" in notice and "The Keeper" in notice
    assert f'href="{reverse("jobs:detail", args=[job.id])}"' in notice


def test_an_unknown_or_malformed_key_says_nothing(writer, project):
    assert writer.get(reverse("jobs:submitted", args=["ffffffffffffffff"])).status_code == 404
    assert writer.get(reverse("jobs:submitted", args=["bad key!"])).status_code == 404


def test_another_writers_submission_is_not_revealed(
    client, writer, other_user, project, django_capture_on_commit_callbacks
):
    _sent(writer, project, django_capture_on_commit_callbacks)
    client.force_login(other_user)
    assert client.get(reverse("jobs:submitted", args=["a1b2c3d4e5f6a7b8"])).status_code == 404


def test_anonymous_visitors_cannot_ask_about_submissions(client):
    response = client.get(reverse("jobs:submitted", args=["a1b2c3d4e5f6a7b8"]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
