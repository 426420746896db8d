"""The real-server suite (`make test-llm`): collected everywhere, run only when ``-m llm`` is asked.

A plain ``make test`` deselects these (they take minutes of CPU per story); `make test-llm` and
`.ci/run` select them. When the server cannot be installed or started they fail — never skip.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    if "llm" in (config.getoption("-m") or ""):
        return
    chosen, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("llm") else chosen).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen


@pytest.fixture(autouse=True)
def _long_jobs(monkeypatch):
    # A CPU model writes a short story in tens of minutes; the queue's 30-minute timeout is for hosted models.
    monkeypatch.setenv("NF_JOB_TIMEOUT_SECONDS", "7200")
