"""The two shapes of a library search page (narratives.library_search): same rows, same order.

``walk`` reads the library in its own order and checks each row's stored vector;
``index`` reads the matches from idx_narrative_search_words and sorts them. The
page chooses from the user's counts; whichever it chooses, the rows are the same.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from narratives.library_search import SearchPlan, hits_params, search_planning
from narratives.models import Narrative
from narratives.selectors import narrative_library, narrative_library_page
from narratives.services import narrative_search_lemmatise

pytestmark = pytest.mark.django_db

EN = ("The ferrywoman crossed the river at dawn.", "ferrywoman river")
# Inflected: the query's forms are not the text's ("przewoźniczka" by its stem, "rzekę" by its lemma).
PL = ("Przewoźniczka przeprawiła się przez rzekę o świcie.", "przewoźniczki rzeką")
PLAIN = {"en": "A quiet harbour at night.", "pl": "Cicha przystań nocą."}
QUERIES = {"en": EN[1], "pl": PL[1]}
WALK_MARK = 'AS "hit" FROM "narrative_search"'  # the per-row check of the walk
INDEX_MARK = "OFFSET 0)"  # the matches as a subquery of their own


def _make(make_narrative, user, kind: str, i: int) -> Narrative:
    language, matches = kind.split("-")
    text = (EN if language == "en" else PL)[0] if matches == "match" else PLAIN[language]
    title = f"{user.email[:5]} {kind} {i}"
    n = make_narrative(user, title=title, language=language, chapters=[("I", [text])])
    if language == "pl":
        narrative_search_lemmatise(narrative_id=n.pk)
    return n


def _library(make_narrative, owner, other_user, kinds: list[str]) -> dict[str, list[Narrative]]:
    """The owner's narratives of ``kinds`` with the other user's matches written between them;
    every third pair shares a creation time, so the order also rests on the id."""
    made: dict[str, list[Narrative]] = {"owner": [], "other": []}
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for i, kind in enumerate(kinds):
        made["owner"].append(_make(make_narrative, owner, kind, i))
        if i % 4 == 0:
            made["other"].append(_make(make_narrative, other_user, ("en-match", "pl-match")[i % 8 // 4], i))
    for i, n in enumerate(made["owner"] + made["other"]):
        n.created_at = start + datetime.timedelta(minutes=(i // 2) * 2 if i % 3 == 0 else i)
        Narrative.objects.filter(pk=n.pk).update(created_at=n.created_at)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE narratives; ANALYZE narrative_search")
    return made


def _expected(narratives: list[Narrative], language: str, sort: str) -> list[str]:
    found = [n for n in narratives if f"{language}-match" in n.title]
    return [n.pk for n in sorted(found, key=lambda n: (n.created_at, n.pk), reverse=sort != "oldest")]


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


MIXED = ["en-match", "pl-match", "en-plain", "pl-match", "en-match", "pl-plain"] * 4


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("language", ["en", "pl"])
def test_both_shapes_read_the_same_pages_and_only_the_owners(
    owner, other_user, make_narrative, language, sort
):
    made = _library(make_narrative, owner, other_user, MIXED)
    for user, mine, theirs in ((owner, "owner", "other"), (other_user, "other", "owner")):
        query = QUERIES[language]
        expected = _expected(made[mine], language, sort)
        assert expected, "the library has matches in this language"
        params = hits_params(user, query)
        pages = {}
        with search_planning():
            for walk in (True, False):
                qs = narrative_library(user=user, query=query, sort=sort, plan=SearchPlan(params, walk=walk))
                # The whole list, and pages of two (LIMIT/OFFSET) as the paginator reads them.
                pages[walk] = [[n.pk for n in qs], *([n.pk for n in qs[i : i + 2]] for i in range(0, 12, 2))]
        assert pages[True] == pages[False]
        assert pages[True][0] == expected
        assert pages[True][1:] == [expected[i : i + 2] for i in range(0, 12, 2)]
        assert not set(pages[True][0]) & {n.pk for n in made[theirs]}  # never another user's


def test_the_walk_reads_the_library_order_and_the_index_reads_the_words_index(
    owner, other_user, make_narrative
):
    _library(make_narrative, owner, other_user, MIXED)
    params = hits_params(owner, PL[1])
    with search_planning():
        walk = narrative_library(user=owner, query=PL[1], plan=SearchPlan(params, walk=True))[:3]
        plan = _plan(*walk.query.sql_with_params())
        # The page without a query's index, each row checked by its own lookup; no set of matches.
        assert "idx_narratives_user_created" in plan, plan
        assert "SubPlan" in plan and "idx_narrative_search_words" not in plan, plan
        assert "Seq Scan" not in plan, plan
        index = narrative_library(user=owner, query=PL[1], plan=SearchPlan(params))[:3]
        plan = _plan(*index.query.sql_with_params())
        # The matches from the words index (no vector read row by row), then the narratives.
        assert "idx_narrative_search_words" in plan, plan
        assert "SubPlan" not in plan and "Seq Scan" not in plan, plan
        assert not re.search(r"Filter: \(+vector @@", plan), plan


def _page(user, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        page = narrative_library_page(user=user, per_page=2, **kwargs)
    shapes = {
        "walk" if WALK_MARK in q["sql"] else "index"
        for q in ctx.captured_queries
        if WALK_MARK in q["sql"] or INDEX_MARK in q["sql"]
    }
    return page, shapes


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_search_most_of_a_large_library_matches_walks_the_library_order(
    owner, other_user, make_narrative, language
):
    # 27 of 30 match: walking reads ~3 rows for a page of two, the index would join 27.
    kinds = [f"{language}-match"] * 27 + [f"{language}-plain"] * 3
    made = _library(make_narrative, owner, other_user, kinds[::2] + kinds[1::2])
    expected = _expected(made["owner"], language, "newest")
    # The newest two rows do not match: the walk passes them. A deeper page would walk
    # further than the index joins, so it reads the index; the rows follow on all the same.
    for number, shape in ((1, "walk"), (2, "index"), (5, "index")):
        page, shapes = _page(owner, query=QUERIES[language], page_number=number)
        assert shapes == {shape}, number
        assert page.paginator.count == 27
        assert [n.pk for n in page.object_list] == expected[(number - 1) * 2 : number * 2]
    page, shapes = _page(owner, query=QUERIES[language], page_number=1, sort="oldest")
    assert shapes == {"walk"}
    assert [n.pk for n in page.object_list] == _expected(made["owner"], language, "oldest")[:2]


def test_a_search_few_rows_match_or_sorted_otherwise_reads_the_words_index(owner, other_user, make_narrative):
    kinds = ["pl-match"] * 3 + ["pl-plain"] * 24 + ["en-match"] * 3
    made = _library(make_narrative, owner, other_user, kinds)
    page, shapes = _page(owner, query=PL[1])
    assert shapes == {"index"}
    assert [n.pk for n in page.object_list] == _expected(made["owner"], "pl", "newest")[:2]
    assert page.paginator.count == 3

    # 27 match (the three English rows do not: their text is parsed as English), but the sort
    # has no index to walk, or a filter the counts do not see.
    Narrative.objects.filter(user=owner).update(narrative_text="## I\n\n" + PL[0])  # the trigger re-reads it
    for pk in Narrative.objects.filter(user=owner).values_list("pk", flat=True):
        narrative_search_lemmatise(narrative_id=pk)
    assert _page(owner, query=PL[1])[1] == {"walk"}
    page, shapes = _page(owner, query=PL[1], sort="words")
    assert shapes == {"index"} and page.paginator.count == 27
    page, shapes = _page(owner, query=PL[1], genre="fantasy")
    assert shapes == {"index"} and page.paginator.count == 27
    page, shapes = _page(owner, query=f'{PL[1]} "o świcie"')
    assert shapes == {"index"} and page.paginator.count == 27


def test_a_search_nothing_matches_reads_no_page(owner, other_user, make_narrative):
    _library(make_narrative, owner, other_user, ["en-match"] * 25)
    page, shapes = _page(owner, query="lighthouse")
    assert (page.paginator.count, list(page.object_list), shapes) == (0, [], set())


@pytest.mark.parametrize("sort", ["newest", "words"])
def test_an_inflected_polish_search_most_rows_match_never_checks_every_vector(
    owner, other_user, make_narrative, sort
):
    """Issue 18 §1: the planner estimated this query at one match (table-wide statistics), and
    the plan built on that checked the stored vector of every row of narrative_search (27 ms at
    2,000 narratives). The page's query reads the words index or walks the library's order."""
    _library(make_narrative, owner, other_user, ["pl-match"] * 25 + ["en-match"] * 5)
    with CaptureQueriesContext(connection) as ctx:
        page = narrative_library_page(user=owner, per_page=20, query=PL[1], sort=sort)
    assert page.paginator.count == 25
    (page_sql,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "narratives"."id"')]
    with search_planning():
        plan = _plan(page_sql, None)
    assert not re.search(r"Filter: \(+vector @@", plan), plan
    assert "Seq Scan" not in plan, plan
