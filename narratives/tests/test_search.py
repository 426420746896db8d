"""Full-text search in the narrative's language, on the stored vector of narrative_search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from narratives.selectors import HITS_SQL, narrative_library
from narratives.services import narrative_search_lemmatise

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


def test_polish_search_matches_inflected_forms(owner, make_narrative):
    n = make_narrative(
        owner,
        title="Rzeka",
        language="pl",
        chapters=[("Brzeg", ["Łódź przewoźniczki czekała na brzegu zatoki."])],
    )
    # Words the dictionary knows need the text's lemmas: "zatoką" (query) ≠ "zatoki" (text) as written.
    assert _found(owner, "zatoką") == set()
    assert narrative_search_lemmatise(narrative_id=n.pk)
    assert _found(owner, "zatoką") == {"Rzeka"}
    assert _found(owner, "brzegiem zatoka") == {"Rzeka"}
    # "przewoźniczka" is not in Morfeusz's dictionary: its forms meet through the stem.
    assert _found(owner, "przewoźniczkę") == {"Rzeka"}
    assert _found(owner, "przewoźniczka") == {"Rzeka"}
    assert _found(owner, "przewoźniczkami -brzeg") == set()
    assert _found(owner, "przewoźnik") == set()  # a different word stays apart


def test_a_rename_keeps_the_lemmas_until_they_are_recomputed(owner, make_narrative):
    from narratives.services import narrative_rename

    n = make_narrative(owner, title="Rzeka", language="pl", chapters=[("Brzeg", ["Czekali nad zatoką."])])
    narrative_search_lemmatise(narrative_id=n.pk)
    narrative_rename(narrative=n, title="Latarnicy")
    assert _found(owner, "zatoki") == {"Latarnicy"}  # the text's lemmas still serve
    assert _found(owner, "latarnikiem") == set()  # the new title's not yet
    assert narrative_search_lemmatise(narrative_id=n.pk)
    assert _found(owner, "latarnikiem") == {"Latarnicy"}


def test_a_narrative_inserted_by_plain_sql_is_searchable(owner):
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO narratives (id, user_id, title, production_type, genre, narrative_text, word_count,"
            " metadata, generation_cost_usd, tokens_used, created_at, updated_at) VALUES"
            " ('sql-1', %s, 'Przewoźniczki', 'novel', 'drama', '## Jeden\n\nSzła przez mosty.', 4,"
            ' \'{"language": "pl"}\', 0, 0, now(), now())',
            [owner.pk],
        )
    assert _found(owner, "mosty") == {"Przewoźniczki"}
    assert _found(owner, "mostem") == set()
    call_command("search_lemmatise", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _found(owner, "przewoźniczkę iść mostem") == {"Przewoźniczki"}


def test_a_lemmatiser_that_raced_an_edit_writes_nothing(owner, make_narrative):
    from narratives.models import Narrative, NarrativeSearch

    n = make_narrative(owner, title="Rzeka", language="pl", chapters=[("Brzeg", ["Przewoźniczki czekały."])])
    narrative_search_lemmatise(narrative_id=n.pk)
    revision = NarrativeSearch.objects.get(pk=n.pk).revision
    Narrative.objects.filter(pk=n.pk).update(narrative_text="## Brzeg\n\nLatarnik czekał.")
    row = NarrativeSearch.objects.get(pk=n.pk)
    assert (row.revision, row.lemmatised) == (revision + 1, False)
    with connection.cursor() as cursor:  # a lemmatiser that read the old revision
        cursor.execute(
            "UPDATE narrative_search SET lemmas = 'x' WHERE narrative_id = %s AND revision = %s",
            [n.pk, revision],
        )
        assert cursor.rowcount == 0
    assert _found(owner, "przewoźniczki") == set()
    assert _found(owner, "latarnik") == {"Rzeka"}


def test_counter_and_export_updates_leave_the_search_row_alone(owner, narrative):
    from narratives.models import NarrativeSearch
    from narratives.services import narrative_record_download

    before = NarrativeSearch.objects.get(pk=narrative.pk).revision
    narrative_record_download(narrative=narrative, fmt="txt")
    assert NarrativeSearch.objects.get(pk=narrative.pk).revision == before


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


def test_search_is_answered_from_the_gin_index_of_the_stored_vector(owner, shelf):
    """The hits read only narrative_search's stored vectors (no narrative text is parsed), and the
    predicate alone is answered from idx_narrative_search_words (on a tiny table the planner may
    prefer the user index: either plan reads stored vectors)."""
    params = [owner.pk, "towers", "towers", "('towers')"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {HITS_SQL}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "narratives " not in plan and "narrative_text" not in plan, plan
        cursor.execute("SET LOCAL enable_seqscan = off")
        predicate = HITS_SQL.split(" AND ", 1)[1]
        cursor.execute(f"EXPLAIN SELECT narrative_id FROM narrative_search WHERE {predicate}", params[1:])  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "idx_narrative_search_words" in plan, plan


def test_the_count_stops_early(owner_client, owner, make_narrative):
    from narratives.paging import CappedPaginator
    from narratives.selectors import narrative_library

    for i in range(7):
        make_narrative(owner, title=f"Keeper {i}")
    paginator = CappedPaginator(narrative_library(user=owner, query="keeper"), 2, cap=4)
    assert (paginator.count, paginator.capped, paginator.shown_count) == (5, True, 4)
    assert CappedPaginator(narrative_library(user=owner), 2, cap=10).capped is False
    with CaptureQueriesContext(connection) as ctx:
        CappedPaginator(narrative_library(user=owner, query="keeper"), 2, cap=4).count  # noqa: B018
    assert "LIMIT 5" in ctx.captured_queries[-1]["sql"]
    response = owner_client.get(reverse("narratives:library"), {"q": "keeper"})
    assert response.status_code == 200


def test_library_query_count_is_constant(client, owner, make_narrative, settings):
    from projects.models import Project

    settings.NF_PAGE_CACHE_SECONDS = 0  # what building the page costs (a page-cache hit: tests/perf)

    client.force_login(owner)
    project = Project.objects.create(user=owner, name="P")
    url = reverse("narratives:library")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"latest": "on", "sort": "quality"}).status_code == 200
        return len(ctx.captured_queries)

    make_narrative(owner, project=project)
    one_page = count()
    for i in range(25):
        make_narrative(owner, title=f"N{i}", project=project if i % 2 else None)
    two_pages = count()
    for i in range(30):
        make_narrative(owner, title=f"M{i}", project=project if i % 2 else None)
    assert count() == two_pages  # nothing per narrative
    # A library that fits on one page is not counted: its rows are the count.
    assert two_pages == one_page + 1
    assert one_page <= 3  # the user, the projects of the filter, the page


def test_a_very_long_novel_can_be_indexed(owner, make_narrative):
    """Without word positions the vector of a long novel stays under PostgreSQL's 1 MB cap."""
    import random

    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyzłóśżź"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 11))) for _ in range(40000)]
    text = "\n\n".join(" ".join(rng.choice(vocab) for _ in range(100)) for _ in range(3000))  # 300k words
    n = make_narrative(owner, text="## One\n\n" + text, title="Epic")
    assert {x.pk for x in narrative_library(user=owner, query=vocab[0])} == {n.pk}


def test_polish_words_known_to_morfeusz_match_any_form(owner, make_narrative):
    n = make_narrative(owner, title="Koty", language="pl", chapters=[("Dom", ["Szła z kotami przez Łódź."])])
    narrative_search_lemmatise(narrative_id=n.pk)
    assert _found(owner, "kot") == {"Koty"}
    assert _found(owner, "iść łodzi") == {"Koty"}
    assert _found(owner, "kot or pies") == {"Koty"}
    assert _found(owner, "pies or kot -iść") == set()


@pytest.mark.parametrize(
    "query", ["'", "\\", "&|!", "or", "-", '"', "a or", "or b", "(", "kot:*", "a & !b", "—"]
)
def test_any_polish_query_text_is_valid_tsquery_syntax(owner, make_narrative, query):
    from narratives.search import lemma_tsquery

    make_narrative(owner, title="Koty", language="pl")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsquery('simple', %s)", [lemma_tsquery(query)])
    assert isinstance(_found(owner, query), set)


def test_przewozniczki_finds_przewozniczka_as_the_writer_reported(owner, make_narrative):
    make_narrative(owner, title="Prom", language="pl", chapters=[("Brzeg", ["Przewoźniczka czekała."])])
    assert _found(owner, "przewoźniczki") == {"Prom"}
    assert _found(owner, "przewoźniczka") == {"Prom"}


def test_a_search_every_narrative_matches_reads_no_vector(owner_client, owner, other_user, make_narrative):
    """Issue 18: with every row matching, the planner used to scan every stored vector (15-40 ms at
    2,000 narratives). The library's queries now come from idx_narrative_search_words, and the
    count of a words-only search never joins the narratives."""
    from narratives.selectors import COUNT_HITS_SQL, search_planning

    for i in range(25):
        make_narrative(owner, title=f"River {i}", chapters=[("Ford", ["The ferrywoman crossed the river."])])
    make_narrative(other_user, title="River elsewhere")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE narrative_search")
    with CaptureQueriesContext(connection) as ctx:
        response = owner_client.get(reverse("narratives:library"), {"q": "ferrywoman river"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 25
    assert len(response.context["page"].object_list) == 20
    searches = [q["sql"] for q in ctx.captured_queries if "vector @@" in q["sql"]]
    assert len(searches) == 2, searches  # the count and the page
    count_sql = next(sql for sql in searches if sql.startswith("SELECT count(*) FROM (SELECT narrative_id"))
    assert " narratives" not in count_sql.replace("narrative_search", "")

    params = [owner.pk, "ferrywoman river", "ferrywoman river", ""]
    page_sql, page_params = narrative_library(user=owner, query="ferrywoman river")[
        :20
    ].query.sql_with_params()
    with search_planning(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {COUNT_HITS_SQL}", [*params, 1001])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "idx_narrative_search_words" in plan, plan
        assert "Seq Scan" not in plan, plan
        # The page may walk the sort order and stop at 20 matches, or read the matches from the
        # index: never every vector.
        cursor.execute(f"EXPLAIN {page_sql}", page_params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan on narrative_search" not in plan, plan


def test_a_search_narrowed_by_a_filter_counts_through_the_narratives(owner_client, owner, make_narrative):
    from projects.models import Project

    project = Project.objects.create(user=owner, name="P")
    make_narrative(owner, title="In", project=project, chapters=[("A", ["The river."])])
    make_narrative(owner, title="Out", chapters=[("A", ["The river."])])
    response = owner_client.get(reverse("narratives:library"), {"q": "river", "project": project.pk})
    assert [n.title for n in response.context["page"].object_list] == ["In"]
    assert response.context["page"].paginator.count == 1
    response = owner_client.get(reverse("narratives:library"), {"q": 'river -"the river"'})
    assert response.context["page"].paginator.count == 0
