"""The error users see when a job operation is refused (re-exported by jobs.services)."""


class JobError(Exception):
    """A job operation was refused; ``str()`` is a message fit for the user.

    Raised before anything is written: a bad brief, a project that is not the
    user's, a limit reached, a job that cannot be resumed or cancelled.
    ``field`` names the brief field at fault when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
