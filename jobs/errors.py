"""The error users see when a job operation is refused."""

from __future__ import annotations

from narraforge.errors import UserFacingError


class JobError(UserFacingError):
    """A job operation was refused; ``str()`` is a message fit for the user.

    Raised before anything is written: a bad brief, a project that is not the
    user's, a job that cannot be resumed or cancelled. ``field`` names the
    brief field at fault when there is one. (A limit reached is
    ``billing.selectors.LimitExceeded``, also a ``UserFacingError``.)
    """
