"""ReportRun now belongs to the reports app (reports.0001 took over its table and rows): drop
it from this app's state only; the database is not touched."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("cooperatives", "0005_normalise_contact_phones"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ReportRun")],
            database_operations=[],
        ),
    ]
