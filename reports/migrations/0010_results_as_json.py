"""A report run's result as PostgreSQL `json` rather than `jsonb` (core.json_text): written
once, read whole, so `jsonb`'s parsing on every write and printing on every read bought
nothing. The column's type change resets its compression, so lz4 is set again as 0006 did
(where the server has it). Elsewhere (SQLite) the column is unchanged."""

from django.db import migrations

import core.json_text

LZ4 = """
DO $$
BEGIN
    ALTER TABLE reports_reportrun ALTER COLUMN result SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN
    NULL;  -- no lz4 in this build: pglz stays
END
$$;
"""


def lz4(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LZ4)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0009_results_lz4"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reportrun",
            name="result",
            field=core.json_text.JSONTextField(blank=True, null=True, verbose_name="result"),
        ),
        migrations.RunPython(lz4, lz4, elidable=False),
    ]
