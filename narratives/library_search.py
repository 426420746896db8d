"""Reads behind the library's search: which rows match, and how a page of them is read.

A query matches a narrative if it matches in the narrative's language: English
words are stemmed ('english'); Polish words are matched as written ('simple') or
by their lemmas (the third parameter: each word OR-ed with its lemmas, see
narratives.search; empty for a user without Polish narratives). The vectors are
stored in ``narrative_search`` (migration 0004), so no plan parses any text.

A page of matches is read in one of two shapes, chosen from counts, not left to
the planner (it estimates a user's matches from table-wide statistics that often
miss them: an inflected Polish query is estimated at one row when a thousand
match, and the plan built on that read every vector of the table, 27 ms):

* ``index`` — the user's matches from idx_narrative_search_words (no vector is
  read), joined to narratives and sorted. Its cost grows with the matches.
* ``walk`` — the library's own order (idx_narratives_user_created, the plan of
  the page without a query), each row checked against its stored vector until
  the page is full. Its cost grows with the rows walked, each a vector read.

``search_plan`` walks only when that reads fewer vectors than an eighth of the
matches the index shape would join (``WALK_FACTOR``): when most of a large
library matches. Both shapes return the same rows in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL

from narratives.models import NarrativeSearch
from narratives.paging import count_limit, wanted_page
from narratives.search import lemma_tsquery

SEARCH_QUERY_SQL = (
    "(websearch_to_tsquery('english', %s) || websearch_to_tsquery('simple', %s) || to_tsquery('simple', %s))"
)
HITS_SQL = f"SELECT narrative_id FROM narrative_search WHERE user_id = %s AND vector @@ {SEARCH_QUERY_SQL}"  # noqa: S608
# OFFSET 0 keeps the hits a subquery of their own: planned alone, they come from
# idx_narrative_search_words whatever the outer query's estimates (see the module's docstring).
INDEX_HITS_SQL = f"{HITS_SQL} OFFSET 0"
COUNT_HITS_SQL = f"SELECT count(*) FROM ({HITS_SQL} LIMIT %s) hits"  # noqa: S608
# Before the words are parsed: whether the user has Polish narratives (then the query gets
# lemmas), and how many narratives the user has, counted up to a bound (``search_plan``).
PROBE_SQL = (
    "SELECT EXISTS (SELECT 1 FROM narrative_search WHERE user_id = %s AND language = 'pl'), "
    "(SELECT count(*) FROM (SELECT 1 FROM narrative_search WHERE user_id = %s LIMIT %s) mine)"
)

# Sorts the library reads in index order (idx_narratives_user_created, forwards or backwards).
WALKABLE_SORTS = frozenset({"newest", "oldest"})
# Reading a row's vector while walking costs ~6x joining one match the index found (~24 µs
# against ~4 µs at 2,000 narratives); 8 leaves room for the larger vectors of long novels.
WALK_FACTOR = 8


@dataclass(frozen=True)
class SearchPlan:
    params: tuple[str, ...]  # HITS_SQL's: the user, the words twice, their Polish lemma query
    walk: bool = False
    count: int | None = None  # the user's matches counted up to the paginator's limit, if counted


@contextmanager
def search_planning() -> Iterator[None]:
    """Plan the queries inside without sequential scans where an index can answer (one transaction).

    PostgreSQL costs ``vector @@ query`` as a cheap operator and does not count
    detoasting the vector (tens of KB per narrative) that a sequential scan or
    the user's rows must read for every row. When most of a user's narratives
    match, it then prefers those paths (15-40 ms for a 2,000-narrative library)
    to idx_narrative_search_words, which answers owner and words without reading
    a vector (under 1 ms; migration 0006). ``SET LOCAL`` ends with the transaction.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield


def count_hits(params: tuple[str, ...], limit: int) -> int:
    """The user's matches, counted in the index up to ``limit`` (never joining narratives)."""
    with connection.cursor() as cursor:
        cursor.execute(COUNT_HITS_SQL, [*params, limit])
        return cursor.fetchone()[0]


def search_plan(
    *, user, words: str, per_page: int, page_number=None, sort: str = "newest", words_only: bool = True
) -> SearchPlan:
    """The parameters and the shape of a search's page (inside ``search_planning``).

    Walking is considered for a words-only search in a walkable sort: a filter
    (project, type, phrase…) changes which walked rows count, which the counts
    here do not see. Walking reads about ``needed * total / matches`` rows; it is
    chosen when that is at most ``matches / WALK_FACTOR``. ``total`` is counted up to
    the largest value for which that can hold, and ``matches`` only when the
    library is larger than the rows the page needs (else the page's rows are the count).
    """
    limit = count_limit(per_page=per_page, page_hint=page_number)
    needed = wanted_page(page_number) * per_page + 1  # the first page reads one row more
    considered = words_only and sort in WALKABLE_SORTS
    bound = (limit + 1) ** 2 // (WALK_FACTOR * needed) + 1 if considered else 0
    with connection.cursor() as cursor:
        cursor.execute(PROBE_SQL, [str(user.pk), str(user.pk), max(bound, needed) if words_only else 0])
        has_polish, total = cursor.fetchone()
    params = (str(user.pk), words, words, lemma_tsquery(words) if has_polish else "")
    if not words_only or total < needed:
        return SearchPlan(params)
    matches = count_hits(params, limit + 1)
    walk = considered and matches * matches >= WALK_FACTOR * needed * total
    return SearchPlan(params, walk=walk, count=matches)


def hits_params(user, words: str) -> tuple[str, ...]:
    return (str(user.pk), words, words, _polish_words(user, words))


def _polish_words(user, words: str) -> str:
    """The query with Polish lemmas, when this user has Polish narratives (else empty)."""
    if not NarrativeSearch.objects.filter(user_id=user.pk, language="pl").exists():
        return ""
    return lemma_tsquery(words)


def hits_q(plan: SearchPlan) -> Q:
    """The narratives matching the plan's words, as a filter in the plan's shape."""
    if not plan.walk:
        return Q(pk__in=RawSQL(INDEX_HITS_SQL, plan.params))  # noqa: S611 (constant SQL, bound words)
    # A scalar subquery is never turned into a join: it is evaluated for each row the
    # outer query reads, in the library's order, so the walk stops when the page is full.
    user_id, *words = plan.params
    matched = (
        NarrativeSearch.objects.filter(narrative_id=OuterRef("pk"), user_id=user_id)
        .annotate(hit=RawSQL(f"vector @@ {SEARCH_QUERY_SQL}", words, output_field=BooleanField()))  # noqa: S611
        .values("hit")
    )
    return Q(Subquery(matched, output_field=BooleanField()))


_PHRASE_RE = re.compile(r'(-?)"([^"]*)"?')


def split_phrases(query: str) -> tuple[str, list[list[str]], list[list[str]]]:
    """Quoted phrases out of a search.

    The index holds no word positions (see migration 0004), so a phrase is
    found as all its words through the index, then checked as an exact phrase
    (any case, any spacing) on those candidates only.
    """
    phrases: list[list[str]] = []
    excluded: list[list[str]] = []

    def take(match: re.Match) -> str:
        words = match.group(2).split()
        if not words:
            return " "
        if match.group(1):
            excluded.append(words)
            return " "
        phrases.append(words)
        return " " + " ".join(words) + " "

    return _PHRASE_RE.sub(take, query), phrases, excluded


def phrase_q(words: list[str]) -> Q:
    pattern = r"\m" + r"\s+".join(re.escape(w) for w in words) + r"\M"
    return Q(title__iregex=pattern) | Q(narrative_text__iregex=pattern)
