"""Stored report results compressed with lz4 rather than pglz (PostgreSQL 14+ built with lz4).

A national recompute stores about 7.6 MB of JSON per report (360 commune results and the
country's); pglz compression was the larger part of storing them (0.8 → 0.43 s per report on
the national dataset). Values are compressed as they are written; older rows stay pglz and
read the same. Elsewhere (SQLite, a PostgreSQL without lz4) nothing changes."""

from django.db import migrations

LZ4 = """
DO $$
BEGIN
    ALTER TABLE reports_reportrun ALTER COLUMN result SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN
    NULL;  -- no lz4 in this build: pglz stays
END
$$;
"""
PGLZ = "ALTER TABLE reports_reportrun ALTER COLUMN result SET COMPRESSION pglz;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LZ4)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PGLZ)


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_run_territory")]
    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
