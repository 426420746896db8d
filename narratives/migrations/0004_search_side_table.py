"""The search vector moves to a side table the database keeps (issue 18 §1).

Before: a GIN index on an expression over the whole text of ``narratives``.
The planner mis-costed it (library searches took seconds) and every non-HOT
update of a long narrative (a view counter) recomputed the vector.

After: ``narrative_search`` holds one stored vector per narrative, written by
an AFTER trigger on ``narratives`` (rows inserted by plain SQL are searchable
at once), with a GIN index on it. The migration is not atomic so the table
stays writable: the trigger starts first, then existing rows are copied in
small batches (each its own short transaction, ON CONFLICT DO NOTHING so rows
the trigger already wrote are kept), then the GIN index is built
CONCURRENTLY, then the old expression index is dropped CONCURRENTLY.

The ``updated_at`` trigger of ``narratives`` now fires only when a content
column is in the UPDATE's SET list, so counters and ``exported_formats`` do
not change a version's ``updated_at`` (the key of stored exports and of the
reader's cached HTML).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import django.db.models.expressions
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

BATCH = 200

DOCUMENT_FUNCTION = """
CREATE OR REPLACE FUNCTION nf_search_document(language text, title text, body text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    -- PostgreSQL has no Polish configuration: Polish is parsed with 'simple' and its
    -- lemmas are added by the application (narrative_search.lemmas). strip() drops
    -- positions: the library filters, it does not rank, and a saga stays under 1 MB.
    SELECT strip(to_tsvector(
        CASE WHEN language = 'pl' THEN 'simple'::regconfig ELSE 'english'::regconfig END,
        coalesce(title, '') || ' ' || coalesce(body, '')
    ))
$$
"""

SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION nf_narrative_search_sync() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
DECLARE
    lang text := coalesce(NEW.metadata ->> 'language', 'en');
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.title IS NOT DISTINCT FROM OLD.title
       AND NEW.user_id IS NOT DISTINCT FROM OLD.user_id
       AND lang = coalesce(OLD.metadata ->> 'language', 'en')
       AND NEW.narrative_text IS NOT DISTINCT FROM OLD.narrative_text THEN
        RETURN NULL;  -- e.g. save() of unchanged fields: keep the vector and its lemmas
    END IF;
    INSERT INTO narrative_search (narrative_id, user_id, language, document, lemmas, lemmatised, revision)
    VALUES (NEW.id, NEW.user_id, lang, nf_search_document(lang, NEW.title, NEW.narrative_text),
            ''::tsvector, lang <> 'pl', 1)
    ON CONFLICT (narrative_id) DO UPDATE
       SET user_id = EXCLUDED.user_id,
           language = EXCLUDED.language,
           document = EXCLUDED.document,
           -- Old lemmas keep serving until the lemmatiser replaces them.
           lemmas = CASE WHEN EXCLUDED.language = 'pl' THEN narrative_search.lemmas ELSE ''::tsvector END,
           lemmatised = EXCLUDED.lemmatised,
           revision = narrative_search.revision + 1;
    RETURN NULL;
END
$$
"""

SYNC_TRIGGER = """
CREATE TRIGGER narratives_search_sync
AFTER INSERT OR UPDATE OF title, narrative_text, metadata, user_id ON narratives
FOR EACH ROW EXECUTE FUNCTION nf_narrative_search_sync()
"""

CONTENT_COLUMNS = (
    "user_id, project_id, job_id, title, production_type, genre, narrative_text, word_count, metadata, "
    "quality_metrics, overall_quality_score, generation_cost_usd, tokens_used, version, parent_narrative_id"
)

TOUCH_ON_CONTENT = f"""
DROP TRIGGER IF EXISTS narratives_touch_updated_at ON narratives;
CREATE TRIGGER narratives_touch_updated_at BEFORE UPDATE OF {CONTENT_COLUMNS} ON narratives
FOR EACH ROW EXECUTE FUNCTION nf_touch_updated_at();
"""

TOUCH_ON_ANY = """
DROP TRIGGER IF EXISTS narratives_touch_updated_at ON narratives;
CREATE TRIGGER narratives_touch_updated_at BEFORE UPDATE ON narratives
FOR EACH ROW EXECUTE FUNCTION nf_touch_updated_at();
"""

BACKFILL_SQL = f"""
WITH batch AS (
    SELECT id, user_id, title, narrative_text, coalesce(metadata ->> 'language', 'en') AS lang
      FROM narratives WHERE id > %s ORDER BY id LIMIT {BATCH}
)
INSERT INTO narrative_search (narrative_id, user_id, language, document, lemmas, lemmatised, revision)
SELECT id, user_id, lang, nf_search_document(lang, title, narrative_text), ''::tsvector, lang <> 'pl', 1
  FROM batch
ON CONFLICT (narrative_id) DO NOTHING
RETURNING narrative_id
"""


def backfill(apps, schema_editor):
    """Copy existing rows in batches of BATCH, one short transaction each (the migration is not atomic)."""
    from django.db import transaction

    connection = schema_editor.connection
    last = ""
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"SELECT max(id) FROM (SELECT id FROM narratives WHERE id > %s ORDER BY id LIMIT {BATCH}) b",
                           [last])
            (upper,) = cursor.fetchone()
            if upper is None:
                return
            cursor.execute(BACKFILL_SQL, [last])
        last = upper


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("narratives", "0003_search_index")]

    operations = [
        migrations.CreateModel(
            name="NarrativeSearch",
            fields=[
                ("narrative", models.OneToOneField(on_delete=django.db.models.deletion.DB_CASCADE, primary_key=True, related_name="search_row", serialize=False, to="narratives.narrative")),
                ("user_id", models.CharField(null=True)),
                ("language", models.CharField(max_length=16)),
                ("document", django.contrib.postgres.search.SearchVectorField()),
                ("lemmas", django.contrib.postgres.search.SearchVectorField(db_default=django.db.models.expressions.RawSQL("''::tsvector", ()))),
                ("vector", models.GeneratedField(db_persist=True, expression=models.Func(models.F("document"), models.F("lemmas"), arg_joiner=" || ", output_field=django.contrib.postgres.search.SearchVectorField(), template="(%(expressions)s)"), output_field=django.contrib.postgres.search.SearchVectorField())),
                ("lemmatised", models.BooleanField(db_default=False)),
                ("revision", models.IntegerField(db_default=1)),
            ],
            options={
                "db_table": "narrative_search",
                "indexes": [models.Index(fields=["user_id", "language"], name="idx_narrative_search_user"), models.Index(condition=models.Q(("lemmatised", False)), fields=["narrative"], name="idx_narrative_search_pending")],
            },
        ),
        migrations.RunSQL(DOCUMENT_FUNCTION, "DROP FUNCTION IF EXISTS nf_search_document(text, text, text)"),
        migrations.RunSQL(SYNC_FUNCTION, "DROP FUNCTION IF EXISTS nf_narrative_search_sync()"),
        migrations.RunSQL(SYNC_TRIGGER, "DROP TRIGGER IF EXISTS narratives_search_sync ON narratives"),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        AddIndexConcurrently(
            model_name="narrativesearch",
            index=django.contrib.postgres.indexes.GinIndex(fields=["vector"], name="idx_narrative_search_vector"),
        ),
        migrations.RunSQL(
            "DROP INDEX CONCURRENTLY IF EXISTS idx_narratives_search",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_narratives_search ON narratives USING gin "
            "(narratives_search_vector((metadata ->> 'language'), title, narrative_text))",
        ),
        migrations.RunSQL(TOUCH_ON_CONTENT, TOUCH_ON_ANY),
        # Room on each page for a new row version, so counter updates stay HOT (same page, no index writes).
        migrations.RunSQL("ALTER TABLE narratives SET (fillfactor = 90)", "ALTER TABLE narratives RESET (fillfactor)"),
    ]
