"""Library search reads one user's matches from a GIN index on (user_id, vector) (issue 18 §1).

With every row of a 2,000-narrative library matching, the planner answered the
search from a sequential scan (or the user_id btree) and evaluated the match on
every stored vector (~43 KB each, detoasted one by one): 15-40 ms for the count
alone, because it does not cost the detoasting. The composite index (btree_gin,
a trusted extension any database owner may create) answers owner and words
together without reading a vector; the btree on (user_id, language) becomes a
partial index for its one other use (the Polish check), so it no longer offers
the planner the path that reads every vector. The selector plans its queries
with sequential scans discouraged (``narratives.library_search.search_planning``).

Not atomic: the indexes are built and dropped CONCURRENTLY, so the table stays
writable.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    BtreeGinExtension,
    RemoveIndexConcurrently,
)
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("narratives", "0005_exports")]

    operations = [
        BtreeGinExtension(),
        AddIndexConcurrently(
            model_name="narrativesearch",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["user_id", "vector"], name="idx_narrative_search_words"
            ),
        ),
        AddIndexConcurrently(
            model_name="narrativesearch",
            index=models.Index(
                condition=models.Q(language="pl"), fields=["user_id"], name="idx_narrative_search_pl"
            ),
        ),
        RemoveIndexConcurrently(model_name="narrativesearch", name="idx_narrative_search_user"),
        RemoveIndexConcurrently(model_name="narrativesearch", name="idx_narrative_search_vector"),
    ]
