"""Billing tests drive the real services: job_create, the runner (offline engine), job_fail, job_cancel."""

from __future__ import annotations

import pytest

from billing.tests.helpers import BRIEF


@pytest.fixture(autouse=True)
def _offline(settings):
    settings.NF_LLM_BACKEND = "offline"
    settings.OPENAI_API_KEY = ""


@pytest.fixture
def estimate(settings):
    """Every job is estimated at ``usd`` (the offline engine estimates $0), via the settings seam."""

    def set_estimate(usd: float) -> None:
        settings.NF_FIXED_ESTIMATE_USD = usd

    return set_estimate


@pytest.fixture
def make_project(db):
    from projects.services import project_create

    def make(user, name: str = "Salt Coast"):
        return project_create(user=user, name=name)

    return make


@pytest.fixture
def project(owner, make_project):
    return make_project(owner)


@pytest.fixture
def new_job(db):
    from jobs.services import job_create

    def create(user, project, **brief):
        return job_create(user=user, project=project, brief={**BRIEF, **brief})

    return create
