"""CSV cells that spreadsheets will not run: formula injection neutralised (OWASP's rule).

A text cell starting with = + - @, a tab or a carriage return (or their
full-width forms, which some spreadsheets also accept) gets a leading
apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead of
evaluating it. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """Encoded CSV lines, one at a time (for a StreamingHttpResponse or a file)."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
