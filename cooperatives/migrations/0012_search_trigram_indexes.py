"""Name search served by indexes on PostgreSQL: the text folding function (accents and case)
and a trigram GIN index on the folded name, acronym, locality and RSC number, which `LIKE
'%…%'` uses (core/search.py). Nothing on SQLite, where the folding is a Python function.

Creating the pg_trgm and unaccent extensions needs a role allowed to (the database owner on
PostgreSQL 13+ for these trusted extensions); docs/operations.md says so."""

from django.db import migrations

from core.search import POSTGRES_FUNCTION

COLUMNS = ("name", "acronym", "locality", "rsc_number")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(POSTGRES_FUNCTION)
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS cooperatives_organisation_{column}_trgm ON "
            f"cooperatives_organisation USING gin (reless_fold({column}) gin_trgm_ops)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS cooperatives_organisation_{column}_trgm")
    schema_editor.execute("DROP FUNCTION IF EXISTS reless_fold(text)")


class Migration(migrations.Migration):

    dependencies = [("cooperatives", "0011_contact_consent")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
