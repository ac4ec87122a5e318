"""Search, first part: on PostgreSQL the pg_trgm and unaccent extensions and the text folding
function `reless_fold` (accents and case aside, core/search.py), which migration 0014's
generated columns and trigram index use. Nothing on SQLite, where the folding is a Python
function registered on each connection.

Creating the extensions needs a role allowed to (the database owner on PostgreSQL 13+ for
these trusted extensions); docs/operations.md says so."""

from django.db import migrations

from core.search import POSTGRES_FUNCTION


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(POSTGRES_FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS reless_fold(text)")


class Migration(migrations.Migration):

    dependencies = [("cooperatives", "0011_contact_consent")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
