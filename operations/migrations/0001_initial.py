"""IntegrityCheckRun moves from diagnostics to operations without losing a row: the model
enters this app's state on its old table, which is then renamed (diagnostics_integritycheckrun
-> operations_integritycheckrun); its content type follows, so admin permissions granted on it
are kept. diagnostics/0003 removes it from diagnostics' state."""

import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor, old="diagnostics", new="operations"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model="integritycheckrun").exists():
        ContentType.objects.using(db).filter(app_label=old, model="integritycheckrun").update(
            app_label=new)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, old="operations", new="diagnostics")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("diagnostics", "0002_integrity_check_runs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IntegrityCheckRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("ran_at", models.DateTimeField(default=django.utils.timezone.now,
                                                        verbose_name="ran at")),
                        ("faults", models.PositiveIntegerField(verbose_name="faults")),
                        ("results", models.JSONField(verbose_name="results")),
                    ],
                    options={
                        "verbose_name": "integrity check run",
                        "verbose_name_plural": "integrity check runs",
                        "ordering": ["-ran_at"],
                        "db_table": "diagnostics_integritycheckrun",
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="integritycheckrun", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
