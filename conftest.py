"""Fixtures shared by every app's tests: the three people of every story."""

import pytest


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
