"""Browser tests: Debian's chromium driven by pytest-playwright against a live server
and a real RQ worker running the offline engine.

Playwright's own browser download cannot work here, so the browser is the
system's /usr/bin/chromium (override with NF_CHROMIUM).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from jobs.tests.conftest import Workers

ROOT = Path(__file__).resolve().parents[2]
# `make screenshots` (NF_SCREENSHOTS=1) refreshes the README's pictures in docs/;
# ordinary runs write to the git-ignored var/ so a test run leaves the tree clean.
SCREENSHOTS = ROOT / ("docs/screenshots" if os.environ.get("NF_SCREENSHOTS") == "1" else "var/screenshots")
CHROMIUM = os.environ.get("NF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# Playwright's sync API keeps an event loop running in the test thread, and the
# tests (and pytest-django's flush afterwards) make plain ORM calls — safe here:
# one thread, no async code. Allowed only around the browser tests themselves
# (runtest hooks of this conftest only run for items in this directory), so the
# variable never leaks into other tests or their subprocesses.
_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    os.environ[_ASYNC_UNSAFE] = "true"
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    os.environ.pop(_ASYNC_UNSAFE, None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}, "device_scale_factor": 1}


@pytest.fixture
def worker(live_server, redis_conn):
    """A real `manage.py rqworker` on the test database and Redis db, with the offline engine."""
    pool = Workers(settings.DATABASES["default"]["NAME"], settings.REDIS_URL)
    offline = {"NF_LLM_BACKEND": "offline", "OPENAI_API_KEY": "", "NF_PROGRESS_INTERVAL_SECONDS": "0.2"}
    proc = pool.start(env=offline)
    yield proc
    pool.stop_all()


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot in docs/screenshots (light, and dark when asked)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, *, dark: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        # A full-page shot of a scrolled page draws the sticky header mid-page.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        if dark:
            page.emulate_media(color_scheme="dark")
            page.wait_for_timeout(400)  # let colour transitions finish
            page.screenshot(path=str(SCREENSHOTS / f"{name}-dark.png"), full_page=True)
            page.emulate_media(color_scheme="light")
            page.wait_for_timeout(400)
        return path

    return take
