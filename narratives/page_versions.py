"""The versions of the library and reader pages (narraforge.pagecache), each read in one statement.

A version is the count and newest ``updated_at`` of the rows a page shows
(their triggers move ``updated_at`` on every content UPDATE, also from raw SQL
and the worker; an insert or a delete moves the count), plus the counters,
which leave ``updated_at`` alone so that they stay HOT updates.
"""

from __future__ import annotations

from narraforge.pagecache import ROWS as _ROWS
from narraforge.pagecache import version_row, version_text

_LIBRARY_VERSION_SQL = f"""
SELECT (SELECT {_ROWS} || ':' || coalesce(sum(coalesce(view_count, 0) + coalesce(download_count, 0)), 0)
          FROM narratives WHERE user_id = %(user)s),
       (SELECT {_ROWS} FROM projects WHERE user_id = %(user)s),
       EXISTS (SELECT 1 FROM narrative_search WHERE NOT lemmatised AND user_id = %(user)s)
"""  # noqa: S608 - constant SQL; the user is a bound parameter

_READER_VERSION_SQL = f"""
SELECT n.updated_at, n.view_count, n.download_count,
       (SELECT updated_at FROM projects WHERE id = n.project_id),
       (SELECT {_ROWS} FROM narratives WHERE user_id = %(user)s),
       (SELECT {_ROWS} FROM codex_entries WHERE project_id = n.project_id)
  FROM narratives n
 WHERE n.id = %(narrative)s AND n.user_id = %(user)s
"""  # noqa: S608 - constant SQL; ids are bound parameters


def library_version(*, user_id: str, searching: bool) -> str | None:
    """The library page's version, or None while a search could still change (Polish lemmas pending)."""
    books, projects, lemmas_pending = version_row(_LIBRARY_VERSION_SQL, {"user": user_id})
    if searching and lemmas_pending:
        return None
    return version_text((books, projects))


def reader_version(*, user_id: str, narrative_id: str) -> str | None:
    """The reader page's version (text, counters, versions, project, codex); None: not the user's."""
    row = version_row(_READER_VERSION_SQL, {"user": user_id, "narrative": narrative_id})
    return None if row is None else version_text(row)
