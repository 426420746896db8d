"""What a writer reads when a job stops, and what staff read about the same stop.

Writers get plain words and what to do — never an endpoint, a host, a
credential, a provider's response body or an exception's text. Staff get the
engine's own message, redacted (``narraforge.redaction``): it is stored in
``generation_job_runtime.error_detail`` (the admin's job page) and logged.
"""

from __future__ import annotations

from jobs.pipeline import BackendError, PipelineError
from narraforge.redaction import redact

_KEPT = "Everything written so far is kept, and finished work is not paid for again."

BY_CAUSE = {
    "auth": (
        "The writing service did not accept NarraForge's credentials, so nothing more could be written. "
        "This is on our side, not yours, and has been logged for the team. " + _KEPT + " Try resuming "
        "the job later."
    ),
    "unreachable": (
        "The writing service could not be reached. " + _KEPT + " Resume the job in a few minutes; if it "
        "keeps happening, let us know."
    ),
    "timeout": (
        "The writing service took too long to answer. " + _KEPT + " Resume the job in a few minutes."
    ),
    "deadline": (
        "The writing service stopped answering, and we gave up waiting for it. " + _KEPT + " Resume the "
        "job in a few minutes."
    ),
    "rate_limited": (
        "The writing service is busy right now and asked us to slow down. " + _KEPT + " Resume the job "
        "in a few minutes."
    ),
    "server_error": (
        "The writing service kept failing on its side. " + _KEPT + " Resume the job in a few minutes."
    ),
    "invalid_json": (
        "The writing model twice gave an answer we could not use for this step. " + _KEPT + " Resume the "
        "job to try the step again."
    ),
    "bad_response": (
        "The writing service gave an answer we could not use. " + _KEPT + " Resume the job to try again."
    ),
    "context_length": (
        "A request for this job did not fit what the writing model can read at once, even after "
        "splitting it. It has been logged for the team. " + _KEPT + " Try resuming it later."
    ),
    "unknown_model": (
        "The writing service does not offer the model NarraForge is set up to use, so nothing was "
        "written. This is on our side, not yours, and has been logged for the team. "
        + _KEPT
        + " Try resuming the job later."
    ),
    "bad_request": (
        "The writing service turned down a request for this job. It has been logged for the team. "
        + _KEPT
        + " Try resuming it later, or start it again with a shorter inspiration."
    ),
}
# A writer's own connection: the endpoint, key and models are theirs, so the words say so and say
# where to fix them ({name} is the connection's name, as the writer gave it).
_FIX = (
    " Check it on your connections page (the “Test connection” button says what is wrong), "
    "then resume the job, or start it again if it cannot be resumed."
)
OWN_BY_CAUSE = {
    "auth": "Your connection “{name}” was refused: the server did not accept its API key. " + _KEPT + _FIX,
    "unknown_model": (
        "Your connection “{name}” names a model its server does not offer, so nothing was written. "
        + _KEPT
        + _FIX
    ),
    "unreachable": "Your connection “{name}” could not be reached. " + _KEPT + _FIX,
    "timeout": "Your connection “{name}” took too long to answer. " + _KEPT + _FIX,
    "deadline": "Your connection “{name}” stopped answering, and we gave up waiting for it. " + _KEPT + _FIX,
    "unsafe_host": (
        "Your connection “{name}” points at an address NarraForge may not call (a private or internal one). "
        + _KEPT
        + _FIX
    ),
    "context_length": (
        "A request for this job did not fit what the model of your connection “{name}” can read at once, "
        "even after splitting it. Set a larger context window on the connection, or choose a model with "
        "one. " + _KEPT
    ),
    "server_error": "The server of your connection “{name}” kept failing on its side. " + _KEPT + _FIX,
    "redirect": (
        "The server of your connection “{name}” redirected NarraForge to another address, and NarraForge "
        "only calls the address you typed: use the final address as its base URL. " + _KEPT + _FIX
    ),
}
GENERIC = (
    "The writing service stopped answering properly. It has been logged for the team. " + _KEPT + " Resume "
    "the job in a few minutes."
)


def writer_message(exc: PipelineError, *, connection_name: str | None = None) -> str:
    """A sentence fit for the writer's job page: what happened and what to do.

    ``connection_name``: the job ran on the writer's own connection of that name, so a
    failure of its server, key or models is theirs to fix and the words say so.
    """
    if isinstance(exc, BackendError):
        cause = getattr(exc, "cause", "")
        if connection_name and cause in OWN_BY_CAUSE:
            return OWN_BY_CAUSE[cause].format(name=connection_name)
        return BY_CAUSE.get(cause, GENERIC)
    # The engine's other stops (a plan that does not fit, a stage that cannot go on) are written for
    # writers; redacted all the same in case a library's text found its way in.
    return redact(str(exc))


def staff_detail(exc: BaseException) -> str:
    """The engine's own account of the stop, for staff, with every secret masked."""
    cause = getattr(exc, "cause", None)
    head = f"{type(exc).__name__}" + (f" ({cause})" if cause else "")
    return redact(f"{head}: {exc}")[:4000]
