"""The job tests' fixtures (real workers, the fast reaper tunables, the local Chat Completions server)."""

from jobs.tests.conftest import (  # noqa: F401 - fixtures re-used from the job tests
    _fast_tunables,
    fake_llm,
    workers,
)
