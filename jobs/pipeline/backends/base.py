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
    attempt that was given up after the server had started answering (an idle
    timeout, a dropped stream): those tokens were generated and are spent.
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


class Backend(Protocol):
    name: str  # "offline" or "openai": recorded as metadata["engine"]

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
