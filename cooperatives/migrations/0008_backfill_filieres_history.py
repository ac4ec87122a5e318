"""Give every existing organisation history record a filière set.

Records written before 0007 kept no filières. They get the organisation's filières of today:
the best knowledge available (older records may then show a set the organisation only had
later; only the primary filière's own history is exact for them). Records that already have a
set (written since 0007) are left alone. One INSERT ... SELECT, on SQLite and PostgreSQL."""

from django.db import migrations


def backfill(apps, schema_editor):
    history = apps.get_model("cooperatives", "HistoricalOrganisation")._meta.db_table
    m2m = apps.get_model("cooperatives", "HistoricalOrganisationFiliere")._meta.db_table
    current = apps.get_model("cooperatives", "OrganisationFiliere")._meta.db_table
    schema_editor.execute(
        f"INSERT INTO {m2m} (history_id, organisation_id, filiere_id, id) "
        f"SELECT h.history_id, f.organisation_id, f.filiere_id, f.id "
        f"FROM {history} h JOIN {current} f ON f.organisation_id = h.id "
        f"WHERE NOT EXISTS (SELECT 1 FROM {m2m} m WHERE m.history_id = h.history_id)")


class Migration(migrations.Migration):

    dependencies = [("cooperatives", "0007_organisation_filieres_history")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
