"""A paginator whose count stops early: a library page counts at most ~COUNT_CAP rows."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator

COUNT_CAP = 1000


def wanted_page(page_hint) -> int:
    """The page number asked for, as a bounded int (1 for anything that is not a number)."""
    try:
        return min(max(int(page_hint or 1), 1), 100_000)
    except (TypeError, ValueError):
        return 1


def count_limit(*, per_page: int, page_hint=None, cap: int = COUNT_CAP) -> int:
    """How far ``CappedPaginator`` counts: ``cap``, or further when a later page is asked for."""
    return max(cap, (wanted_page(page_hint) + 1) * per_page)


class CappedPaginator(Paginator):
    """Counts at most ``limit + 1`` rows (``SELECT count(*) FROM (… LIMIT limit+1)``).

    ``limit`` is COUNT_CAP, or more when a later page is asked for (so page 200
    of a 10,000-novel library still exists). When there are more rows than
    that, ``capped`` is true and the page says "more than …": PostgreSQL stops
    counting there instead of visiting every match.
    """

    def __init__(
        self, object_list, per_page, *, page_hint=None, cap: int = COUNT_CAP, counter=None, **kwargs
    ):
        """``counter(n)``, when given, counts the rows up to ``n`` in a cheaper way than the list can."""
        super().__init__(object_list, per_page, **kwargs)
        self.counter = counter
        self.limit = count_limit(per_page=per_page, page_hint=page_hint, cap=cap)

    @cached_property
    def count(self) -> int:
        if self.counter is not None:
            return min(self.counter(self.limit + 1), self.limit + 1)
        # No ORDER BY: the order does not change how many there are, and sorting them would.
        return min(self.object_list.order_by()[: self.limit + 1].count(), self.limit + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.limit

    @property
    def shown_count(self) -> int:
        return min(self.count, self.limit)
