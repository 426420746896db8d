"""Plain-text stand-ins for the parts of ``rich`` the CLI uses, for installs without it.

``rich`` (live progress bars) is a development dependency; a production install
runs ``manage.py forge`` with these instead: one line per finished stage, and
``[style]`` markup dropped from messages.
"""

from __future__ import annotations

import re
import sys
from typing import IO, Any

TaskID = int
_MARKUP = re.compile(r"\[/?[a-z #0-9_]+\]")


class Console:
    def __init__(self, file: IO[str] | None = None, **_: Any) -> None:
        self.file = file

    def print(self, text: Any = "") -> None:
        print(_MARKUP.sub("", str(text)), file=self.file or sys.stdout, flush=True)


def _column(*_: Any, **__: Any) -> None:
    return None


BarColumn = TextColumn = TimeElapsedColumn = _column


class Progress:
    """Prints "<task>: done" once per task when it completes; the rest of rich's bar is dropped."""

    def __init__(self, *_columns: Any, console: Console | None = None, **_: Any) -> None:
        self.console = console or Console()
        self._tasks: list[dict[str, Any]] = []

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def add_task(self, description: str, total: float = 1.0, **_fields: Any) -> TaskID:
        self._tasks.append({"description": description, "total": total, "done": False})
        return len(self._tasks) - 1

    def update(self, task_id: TaskID, *, completed: float | None = None, **_fields: Any) -> None:
        task = self._tasks[task_id]
        if completed is not None and completed >= task["total"] and not task["done"]:
            task["done"] = True
            self.console.print(f"{task['description']}: done")
