"""The small interface every backend implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    usage_reported: bool = True  # False: the server sent no usage, the tokens were counted by us


@dataclass
class CallObserver:
    """What a streaming backend reports while a call runs (backends with ``streams = True``).

    ``on_text`` gets the answer so far (throttled by the backend, always once
    at the end); ``on_abandoned`` gets the prompt and completion tokens of an
    attempt that was given up after the request was sent (an idle timeout, a
    dropped stream): those tokens were generated and are spent — a timeout
    before the first token reports the prompt alone (possibly billed).
    """

    on_text: Callable[[str], None] | None = None
    on_abandoned: Callable[[int, int], None] | None = None


@dataclass(frozen=True)
class Task:
    """What a call is for, in structured form.

    HTTP backends only need the messages; the offline writer builds its answer
    from ``payload`` (the same facts the messages spell out in prose), which is
    what keeps it fast and true to the plan.
    """

    stage: str
    payload: dict[str, Any] = field(default_factory=dict)
    schema_name: str = ""


@dataclass(frozen=True)
class Capabilities:
    """What the engine may expect of a backend, so no code branches on a backend's name."""

    priced: bool  # calls go to the configured models at their prices (False: a local writer, always $0)
    judges_coherence: bool  # it can answer stage 07's coherence judgement (else the local check stands)
    label: str  # how exports and the reader name the engine that wrote a narrative
    follows_instructions: bool = (
        True  # free-text revision instructions are read (a local writer only spots keywords)
    )
    bounded_context: bool = True  # requests must fit a context window (a local writer has none)
    writes_to_length: bool = False  # passages come out at the asked length (no extension, no revision)


# An unknown backend is treated like a paid HTTP model: priced, able to judge.
MODEL_API = Capabilities(priced=True, judges_coherence=True, label="OpenAI-compatible model")
LOCAL_WRITER = Capabilities(
    priced=False,
    judges_coherence=False,
    label="NarraForge offline engine",
    follows_instructions=False,
    bounded_context=False,
    writes_to_length=True,
)


class Backend(Protocol):
    name: str  # "offline" or "openai": recorded as metadata["engine"]
    # Optional ``capabilities: Capabilities`` attribute; see ``backends.capabilities_of``.

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        tier: str,
        model: str,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int,
        task: Task | None = None,
    ) -> Completion: ...
