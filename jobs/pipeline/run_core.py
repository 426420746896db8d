"""What a whole run (``runner``) and a chapter-scoped run (``scoped``) share.

Both resume from the same checkpoint shape and bill through one engine, so the state,
the engine that snapshots it and the checkpoint report are built in one place.
"""

from __future__ import annotations

from typing import Any

from .backends.base import Backend
from .brief import Brief
from .checkpoint import RunState
from .config import EngineConfig
from .engine import Callbacks, Engine
from .usage import Ledger


class RunCore:
    def __init__(
        self,
        brief: Brief,
        backend: Backend,
        config: EngineConfig,
        callbacks: Callbacks,
        checkpoint: dict[str, Any] | None,
        budget_usd: float | None,
    ) -> None:
        self.brief = brief
        self.cb = callbacks
        if checkpoint is not None:
            self.state, ledger = RunState.from_checkpoint(checkpoint, brief, backend.name)
        else:
            self.state, ledger = RunState(brief.to_dict(), backend.name), Ledger()
        self.engine = Engine(
            brief,
            backend,
            config,
            callbacks,
            ledger,
            budget_usd,
            snapshot=lambda: self.state.to_checkpoint(self.engine.ledger),
        )

    def checkpoint(self) -> None:
        if self.cb.on_checkpoint is not None:
            self.cb.on_checkpoint(self.state.to_checkpoint(self.engine.ledger))
