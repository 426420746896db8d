"""Verification before generation: with mandatory verification (production's default) a writer
confirms the email address before the first job; development keeps it optional."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from jobs.models import GenerationJob

pytestmark = pytest.mark.django_db

BRIEF = {"production_type": "short_story", "genre": "fantasy", "inspiration": "A map drawn in salt."}
PASSWORD = "a-long-enough-passphrase-1"
mandatory = override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory", NF_REQUIRE_VERIFIED_EMAIL=True)


def _signup(client: Client, email: str):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def _link(message, path: str) -> str:
    (url,) = re.findall(rf"https?://[^\s]+{re.escape(path)}[^\s]+", message.body)
    return url.split("testserver", 1)[1]


@mandatory
def test_a_new_writer_confirms_the_address_then_can_start_a_job(redis_conn):
    from projects.services import project_create

    client = Client()
    mail.outbox.clear()
    response = _signup(client, "new@example.com")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Confirm your email address" in page
    assert "Send the link again" in page
    user = User.objects.get(email="new@example.com")
    assert not user.is_verified

    # Until then no job starts, and the service says why.
    from jobs.services import JobError, job_create

    project = project_create(user=user, name="First")
    with pytest.raises(JobError, match="Confirm your email address"):
        job_create(user=user, project=project, brief=BRIEF)
    assert not GenerationJob.objects.exists()

    confirm = _link(mail.outbox[0], "/accounts/confirm-email/")
    client.post(confirm)
    user.refresh_from_db()
    assert user.is_verified
    job_create(user=user, project=project, brief=BRIEF)
    assert GenerationJob.objects.count() == 1


@mandatory
def test_sign_up_with_a_registered_address_looks_exactly_like_a_new_one(owner):
    mail.outbox.clear()
    taken = _signup(Client(), owner.email)
    fresh = _signup(Client(), "fresh@example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    taken_page = Client().get(taken["Location"])
    assert "already" not in taken_page.content.decode().lower()
    assert User.objects.filter(email=owner.email).count() == 1
    # The owner hears about it by mail; the page says nothing.
    to_owner = [m for m in mail.outbox if owner.email in m.to]
    assert len(to_owner) == 1 and "/accounts/password/reset/" in to_owner[0].body


@mandatory
def test_an_unconfirmed_signed_in_writer_sees_why_and_can_resend(client, owner, redis_conn):
    from projects.services import project_create

    project = project_create(user=owner, name="First")
    client.force_login(owner)
    response = client.get(reverse("jobs:create", args=[project.pk]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Confirm your email address" in html and owner.email in html
    assert 'name="inspiration"' not in html

    response = client.post(reverse("jobs:create", args=[project.pk]), {**BRIEF, "target_words": "5000"})
    assert response.status_code == 403
    assert not GenerationJob.objects.exists()

    mail.outbox.clear()
    response = client.post(reverse("accounts:confirm-email"), follow=True)
    assert response.status_code == 200
    assert f"We sent a new confirmation link to {owner.email}" in response.content.decode()
    assert len(mail.outbox) == 1 and "/accounts/confirm-email/" in mail.outbox[0].body


@mandatory
def test_every_job_starting_service_refuses_an_unconfirmed_writer(owner, redis_conn):
    from jobs.services import JobError, job_create_revision, job_draft_from_plan, job_resume
    from narraforge.tests.ui_helpers import make_job, make_planning_job, offline_plan
    from projects.services import project_create

    project = project_create(user=owner, name="First")
    planning = make_planning_job(owner, project)
    failed = make_job(owner, project, status="failed", can_resume=True)
    from narraforge.tests.ui_helpers import make_narrative

    narrative = make_narrative(
        owner, project, job=planning, metadata={"language": "en", "plan": offline_plan()}
    )
    before = GenerationJob.objects.count()
    for start in (
        lambda: job_draft_from_plan(user=owner, job=planning, plan=offline_plan()),
        lambda: job_resume(user=owner, job=failed),
        lambda: job_create_revision(user=owner, narrative=narrative, instructions="Darker ending, please."),
    ):
        with pytest.raises(JobError, match="Confirm your email address"):
            start()
    assert GenerationJob.objects.count() == before
    failed.refresh_from_db()
    assert failed.status == "failed"


@mandatory
def test_anyone_may_ask_for_a_new_link_without_learning_who_is_registered(owner):
    mail.outbox.clear()
    known = Client().post(reverse("accounts:confirm-email"), {"email": owner.email}, follow=True)
    unknown = Client().post(reverse("accounts:confirm-email"), {"email": "ghost@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|content="[^"]+"', "", html)  # noqa: E731
    assert strip(known.content.decode()).replace(owner.email, "X") == strip(unknown.content.decode()).replace(
        "ghost@example.com", "X"
    )
    assert [m.to for m in mail.outbox] == [[owner.email]]


@mandatory
def test_an_address_a_sign_in_provider_verified_counts_as_confirmed(owner):
    from allauth.account.models import EmailAddress

    from accounts.verification import user_may_start_jobs

    assert not user_may_start_jobs(owner)
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    assert not owner.is_verified and user_may_start_jobs(owner)


def test_development_keeps_verification_optional(client, owner, redis_conn):
    from jobs.services import job_create
    from projects.services import project_create

    assert not owner.is_verified
    project = project_create(user=owner, name="First")
    job_create(user=owner, project=project, brief=BRIEF)
    client.force_login(owner)
    assert client.get(reverse("jobs:create", args=[project.pk])).status_code == 200


def test_production_settings_default_to_mandatory_verification_and_no_enumeration():
    import subprocess
    import sys

    code = (
        "from django.conf import settings as s;"
        "print(s.ACCOUNT_EMAIL_VERIFICATION, s.NF_REQUIRE_VERIFIED_EMAIL, s.ACCOUNT_PREVENT_ENUMERATION)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "narraforge.settings",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).parents[2]),
    ).stdout.split()
    assert out == ["mandatory", "True", "True"]
    env["ACCOUNT_EMAIL_VERIFICATION"] = "optional"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).parents[2]),
    ).stdout.split()
    assert out == ["optional", "False", "True"]


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
