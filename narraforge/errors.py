"""The one error type whose message is meant for the person using the product.

Services raise a ``UserFacingError`` (or a subclass such as ``jobs.errors.JobError``
or ``billing.selectors.LimitExceeded``) to refuse bad input before writing
anything; views, commands and the admin catch this base class and show
``str(exc)``. Any other exception is a bug and is logged, not shown.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A refused operation; ``str()`` is a message fit for the user, ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
