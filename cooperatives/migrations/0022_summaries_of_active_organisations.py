"""Summary rows of the active organisations per ministry and per sector (the reports' own
groupings, cooperatives.summaries.ACTIVE), and on PostgreSQL the marks made by the database
itself.

- A longer grouping name, and every commune marked out of date, so that its rows are
  computed with the new groupings on the first read.
- On PostgreSQL, triggers mark the communes of every statement that writes organisations or
  their filières (one upsert per statement, from its transition tables), in the writing
  transaction as the application's own marks are: a write that does not go through the
  application's signals (a bulk insert, a plain UPDATE, SQL typed by an operator) still
  leaves its communes to recompute. The application keeps marking too (SQLite has no such
  triggers); a commune marked twice is recomputed once.
"""

from django.db import migrations, models

DIRTY = "cooperatives_aggregatedirty"
UPSERT = (f"INSERT INTO {DIRTY} (commune_id, version) SELECT DISTINCT commune_id, 1 FROM ({{}}) "
          f"AS touched WHERE commune_id IS NOT NULL "
          f"ON CONFLICT (commune_id) DO UPDATE SET version = {DIRTY}.version + 1")
ORGANISATION = "cooperatives_organisation"
MEMBERSHIP = "cooperatives_organisationfiliere"


def _function(name: str, new: str, old: str) -> str:
    """A trigger function marking the communes of the statement's new and old rows."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {UPSERT.format(new)};
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {UPSERT.format(old)};
  END IF;
  RETURN NULL;
END $$;"""


FUNCTIONS = {
    "reless_mark_organisation_communes": (
        "SELECT commune_id FROM new_rows", "SELECT commune_id FROM old_rows"),
    # A membership's commune is its organisation's (gone already when the organisation is
    # deleted: the organisation's own trigger marks it then).
    "reless_mark_membership_communes": (
        f"SELECT o.commune_id FROM new_rows AS n JOIN {ORGANISATION} AS o "
        "ON o.id = n.organisation_id",
        f"SELECT o.commune_id FROM old_rows AS r JOIN {ORGANISATION} AS o "
        "ON o.id = r.organisation_id"),
}
TRIGGERS = [
    # (table, event and transition tables, function)
    (ORGANISATION, "INSERT", "REFERENCING NEW TABLE AS new_rows",
     "reless_mark_organisation_communes"),
    (ORGANISATION, "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "reless_mark_organisation_communes"),
    (ORGANISATION, "DELETE", "REFERENCING OLD TABLE AS old_rows",
     "reless_mark_organisation_communes"),
    (MEMBERSHIP, "INSERT", "REFERENCING NEW TABLE AS new_rows",
     "reless_mark_membership_communes"),
    (MEMBERSHIP, "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "reless_mark_membership_communes"),
    (MEMBERSHIP, "DELETE", "REFERENCING OLD TABLE AS old_rows",
     "reless_mark_membership_communes"),
]


def _trigger_name(table: str, event: str) -> str:
    return f"{table}_marks_{event.lower()}"


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (new, old) in FUNCTIONS.items():
        schema_editor.execute(_function(name, new, old))
    for table, event, transitions, function in TRIGGERS:
        schema_editor.execute(
            f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table} "
            f"{transitions} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, event, _transitions, _function_name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table, event)} ON {table}")
    for name in FUNCTIONS:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def forget_active_rows(apps, schema_editor):
    """Back: the reports' groupings' rows go (their names do not fit the shorter column)."""
    apps.get_model("cooperatives", "AggregateSummary").objects.filter(
        by__startswith="active_").delete()


def mark_every_commune(apps, schema_editor):
    Commune = apps.get_model("communes", "Commune")
    AggregateDirty = apps.get_model("cooperatives", "AggregateDirty")
    AggregateDirty.objects.bulk_create(
        [AggregateDirty(commune_id=pk) for pk in Commune.objects.values_list("pk", flat=True)],
        batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("cooperatives", "0021_search_words_pending"),
    ]

    operations = [
        migrations.AlterField(
            model_name="aggregatesummary",
            name="by",
            field=models.CharField(max_length=20),
        ),
        migrations.RunPython(migrations.RunPython.noop, forget_active_rows),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(mark_every_commune, migrations.RunPython.noop),
    ]
