"""Exceptions raised by the pipeline.

Every pipeline error may carry the last checkpoint so a caller (the RQ task,
the CLI) can store it and resume later without paying twice for finished work.
"""

from __future__ import annotations

from typing import Any


class PipelineError(Exception):
    """A run could not finish; ``str()`` is a sentence fit for a user."""

    def __init__(self, message: str, *, checkpoint: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.checkpoint = checkpoint

    def __str__(self) -> str:
        return self.message


class PipelineCancelled(PipelineError):
    """The cancellation callback asked the run to stop."""


class BudgetExceeded(PipelineError):
    """The next model call would have pushed the spend over the budget."""

    def __init__(
        self,
        message: str,
        *,
        checkpoint: dict[str, Any] | None = None,
        spent_usd: float = 0.0,
        budget_usd: float = 0.0,
        cause: str = "budget",
    ) -> None:
        super().__init__(message, checkpoint=checkpoint)
        self.spent_usd = spent_usd
        self.budget_usd = budget_usd
        self.cause = cause  # "budget": the run's own budget; "ceiling": the caller's before_spend refused


class BackendError(PipelineError):
    """The model endpoint failed in a way retries could not fix.

    ``cause`` is a short machine-friendly tag: ``auth``, ``unreachable``,
    ``timeout``, ``rate_limited``, ``server_error``, ``invalid_json``,
    ``bad_request``, ``unknown_model``, ``redirect`` (a 3xx: redirects are not
    followed), ``unsafe_host`` (the host guard refused the address).
    ``detail`` is the server's own reason, redacted ("" when it gave none).
    """

    def __init__(
        self,
        message: str,
        *,
        cause: str = "error",
        checkpoint: dict[str, Any] | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message, checkpoint=checkpoint)
        self.cause = cause
        self.detail = detail
