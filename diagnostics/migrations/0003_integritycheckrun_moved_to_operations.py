"""IntegrityCheckRun now belongs to operations (operations/0001 took over its table): remove
it from diagnostics' state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("diagnostics", "0002_integrity_check_runs"),
        ("operations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IntegrityCheckRun")],
        ),
    ]
