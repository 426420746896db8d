"""Fixtures shared by every app's tests: the three people of every story.

With NF_REQUIRE_ALL_SUITES=1 (set by .ci/run) a test that would be skipped — no
Chromium for the browser suite, no redis-server or embedded PostgreSQL for the
fault tests — fails instead, so CI cannot be green without them.
"""

import os

import pytest

REQUIRE_ALL_SUITES = os.environ.get("NF_REQUIRE_ALL_SUITES") == "1"


@pytest.fixture
def redis_conn():
    """The test Redis database (its own db number, see test_settings), empty before and after."""
    import django_rq

    conn = django_rq.get_connection("default")
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def make_user(db):
    from accounts.models import User

    def make(email: str, **extra) -> User:
        return User.objects.create_user(email=email, password="correct-horse-battery", **extra)

    return make


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com", full_name="Olive Owner")


@pytest.fixture
def other_user(make_user):
    return make_user("other@example.com", full_name="Oscar Other")


@pytest.fixture
def staff(db):
    from accounts.models import User

    return User.objects.create_superuser(email="staff@example.com", password="correct-horse-battery")


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's session event loop would otherwise make every
    later synchronous database test fail with "cannot call this from an async context"."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL_SUITES and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"NF_REQUIRE_ALL_SUITES=1 and this test would be skipped: {reason}. "
            "Install what it needs (.ci/run shows how) instead of skipping it."
        )
