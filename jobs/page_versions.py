"""The dashboard's version (narraforge.pagecache): the writer's projects, narratives and jobs at once.

Each part is the count and newest ``updated_at`` of the rows (their triggers
move ``updated_at`` on every UPDATE: a job's progress, a rename; an insert or
a delete moves the count).
"""

from __future__ import annotations

from narraforge.pagecache import ROWS as _ROWS
from narraforge.pagecache import version_row, version_text

_DASHBOARD_VERSION_SQL = f"""
SELECT (SELECT {_ROWS} FROM projects WHERE user_id = %(user)s),
       (SELECT {_ROWS} FROM narratives WHERE user_id = %(user)s),
       (SELECT {_ROWS} FROM generation_jobs WHERE user_id = %(user)s)
"""  # noqa: S608 - constant SQL; the user is a bound parameter


def dashboard_version(*, user_id: str) -> str:
    return version_text(version_row(_DASHBOARD_VERSION_SQL, {"user": user_id}))
