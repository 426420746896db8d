"""Full-text search over a narrative's title and text, in its language.

PostgreSQL ships an 'english' configuration (stemming, stop words) but none for
Polish, so Polish narratives use 'simple'. The vector is built by a small
IMMUTABLE function declared expensive (COST): the planner then answers a
search from the GIN index instead of re-parsing every novel of a user's
library row by row. ``strip()`` drops word positions: the library only filters
(it does not rank by proximity), and without positions a long novel's vector
stays far below PostgreSQL's 1 MB tsvector cap.

``narratives.selectors.SEARCH_VECTOR_SQL`` must call the function exactly as
the index does so the planner can use the index.
"""

from django.db import migrations

SEARCH_VECTOR_SQL = "narratives_search_vector((metadata ->> 'language'), title, narrative_text)"

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION narratives_search_vector(language text, title text, body text)
RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 5000
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN strip(to_tsvector(
        CASE WHEN language = 'pl' THEN 'simple'::regconfig ELSE 'english'::regconfig END,
        coalesce(title, '') || ' ' || coalesce(body, '')
    ));
END
$$
"""


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; it keeps the table writable meanwhile.
    atomic = False

    dependencies = [("narratives", "0002_updated_at_trigger")]

    operations = [
        migrations.RunSQL(sql=CREATE_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS narratives_search_vector"),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_narratives_search "
                f"ON narratives USING gin ({SEARCH_VECTOR_SQL})"
            ),
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS idx_narratives_search",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_narratives_user_created "
                "ON narratives (user_id, created_at DESC)"
            ),
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS idx_narratives_user_created",
        ),
    ]
