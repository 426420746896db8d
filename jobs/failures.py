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
# A writer's own connection (Profile → Model connections): the fix is theirs, and the page says where.
_FIX = "Profile → Model connections (“Test connection” shows what the server answers)"
OWN_BY_CAUSE = {
    "auth": (
        "The server of your connection refused its API key, so nothing more could be written. Check the key "
        "in " + _FIX + ", then resume the job. " + _KEPT
    ),
    "unknown_model": (
        "The server of your connection does not offer the model this job writes with. Pick a model it "
        "lists in " + _FIX + ", then resume the job. " + _KEPT
    ),
    "unreachable": (
        "The server of your connection could not be reached. Check that it is running and reachable from "
        "NarraForge (" + _FIX + "), then resume the job. " + _KEPT
    ),
    "timeout": (
        "The server of your connection took too long to answer: it may be busy or still loading the model. "
        + _KEPT
        + " Resume the job when it is ready."
    ),
    "unsafe_host": (
        "Your connection points at an address this NarraForge does not call (a private network, or a "
        "cloud metadata address), so nothing was sent. Change its base URL in " + _FIX + ", then resume "
        "the job. " + _KEPT
    ),
    "redirect": (
        "The server of your connection redirected NarraForge to another address, and NarraForge only calls "
        "the address you typed. Use the final address as its base URL in "
        + _FIX
        + ", then resume the job. "
        + _KEPT
    ),
}
GENERIC = (
    "The writing service stopped answering properly. It has been logged for the team. " + _KEPT + " Resume "
    "the job in a few minutes."
)


def writer_message(exc: PipelineError, *, own_connection: bool = False) -> str:
    """A sentence fit for the writer's job page: what happened and what to do.

    ``own_connection``: the job wrote with the writer's own connection, so a refused key, a missing
    model or an unreachable server is theirs to fix, and the message says where.
    """
    if isinstance(exc, BackendError):
        cause = getattr(exc, "cause", "")
        if own_connection and cause in OWN_BY_CAUSE:
            return OWN_BY_CAUSE[cause]
        return BY_CAUSE.get(cause, GENERIC)
    # The engine's other stops (a plan that does not fit, a stage that cannot go on) are written for
    # writers; redacted all the same in case a library's text found its way in.
    return redact(str(exc))


def staff_detail(exc: BaseException) -> str:
    """The engine's own account of the stop, for staff, with every secret masked."""
    cause = getattr(exc, "cause", None)
    head = f"{type(exc).__name__}" + (f" ({cause})" if cause else "")
    return redact(f"{head}: {exc}")[:4000]
