"""Full-text search in the narrative's language, served by the GIN expression index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from narratives.selectors import SEARCH_SQL, SEARCH_VECTOR_SQL, narrative_library

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(owner, other_user, make_narrative):
    return {
        "en": make_narrative(
            owner,
            title="The Lighthouse Keepers",
            chapters=[("Storm", ["The keepers were running towards the burning towers."])],
        ),
        "pl": make_narrative(
            owner,
            title="Latarnicy",
            language="pl",
            chapters=[("Burza", ["Latarnicy biegli w stronę płonących wież nad zatoką."])],
        ),
        "other": make_narrative(
            other_user, title="Running towers elsewhere", chapters=[("X", ["Running towers burning."])]
        ),
    }


def _found(user, q):
    return {n.title for n in narrative_library(user=user, query=q)}


def test_english_search_is_stemmed(owner, shelf):
    assert _found(owner, "run") == {"The Lighthouse Keepers"}
    assert _found(owner, "tower burned") == {"The Lighthouse Keepers"}
    assert _found(owner, "lighthouse") == {"The Lighthouse Keepers"}  # the title is searched too


def test_polish_search_matches_words_as_written(owner, shelf):
    assert _found(owner, "płonących") == {"Latarnicy"}
    assert _found(owner, "wież zatoką") == {"Latarnicy"}
    assert _found(owner, "latarnicy") == {"Latarnicy"}
    assert _found(owner, "zatoka") == set()  # 'simple' does not stem Polish


def test_search_syntax_and_scoping(owner, shelf):
    assert _found(owner, '"burning towers"') == {"The Lighthouse Keepers"}
    assert _found(owner, "towers -keepers") == set()
    assert _found(owner, "keepers OR latarnicy") == {"The Lighthouse Keepers", "Latarnicy"}
    assert _found(owner, "the") == set()  # only stop words: no match, no error
    assert _found(owner, "elsewhere") == set()  # never another user's
    assert _found(owner, "'); DROP TABLE narratives; --") == set()


def test_search_through_the_page(client, owner, shelf):
    client.force_login(owner)
    response = client.get(reverse("narratives:library"), {"q": "płonących"})
    assert [n.title for n in response.context["page"].object_list] == ["Latarnicy"]


def test_search_predicate_is_the_gin_index_expression(owner, shelf):
    """The library's search predicate, alone, is answered from idx_narratives_search.

    (On a tiny table the planner prefers the user index; what matters is that the
    expression is the indexed one, which this proves.)
    """
    qs = narrative_library(user=owner, query="towers")
    sql, params = qs.query.sql_with_params()
    assert SEARCH_VECTOR_SQL in sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT id FROM narratives WHERE {SEARCH_SQL}", ["towers"] * 2)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "idx_narratives_search" in plan, plan


def test_library_query_count_is_constant(client, owner, make_narrative):
    from projects.models import Project

    client.force_login(owner)
    project = Project.objects.create(user=owner, name="P")
    url = reverse("narratives:library")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"latest": "on", "sort": "quality"}).status_code == 200
        return len(ctx.captured_queries)

    make_narrative(owner, project=project)
    few = count()
    for i in range(30):
        make_narrative(owner, title=f"N{i}", project=project if i % 2 else None)
    assert count() == few


def test_migration_and_selector_index_expressions_agree():
    from importlib import import_module

    migration = import_module("narratives.migrations.0003_search_index")
    assert migration.SEARCH_VECTOR_SQL == SEARCH_VECTOR_SQL


def test_a_very_long_novel_can_be_indexed(owner, make_narrative):
    """Without word positions the vector of a long novel stays under PostgreSQL's 1 MB cap."""
    import random

    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyzłóśżź"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 11))) for _ in range(40000)]
    text = "\n\n".join(" ".join(rng.choice(vocab) for _ in range(100)) for _ in range(3000))  # 300k words
    n = make_narrative(owner, text="## One\n\n" + text, title="Epic")
    assert {x.pk for x in narrative_library(user=owner, query=vocab[0])} == {n.pk}
