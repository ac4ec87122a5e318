"""ReportRun moves from cooperatives to reports, with its stored runs.

The model is created in this app's state only, on the table it already has
(cooperatives_reportrun); the table is then renamed to reports_reportrun and its index given
this app's name. The content type row moves to this app, so admin log entries and
permissions still point at it. cooperatives.0006 then drops the model from cooperatives'
state only. On an empty database cooperatives.0001 creates the table first, so the same
operations run there too.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, old="cooperatives", new="reports"):
    """The ContentType of report runs follows the model (ids kept: log entries, permissions)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    types = ContentType.objects.using(db)
    if types.filter(app_label=new, model="reportrun").exists():
        return
    types.filter(app_label=old, model="reportrun").update(app_label=new)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, old="reports", new="cooperatives")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("communes", "0002_merge_duplicate_commune"),  # it deletes cooperatives' report runs
        ("contenttypes", "0002_remove_content_type_name"),
        ("cooperatives", "0005_normalise_contact_phones"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReportRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("convergence", "Convergence"),
                                                           ("cooperation", "Cooperation")],
                                                  max_length=20, verbose_name="kind")),
                        ("scope", models.CharField(max_length=16, verbose_name="scope")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                        ("status", models.CharField(
                            choices=[("queued", "Queued"), ("running", "Running"),
                                     ("done", "Done"), ("failed", "Failed")],
                            default="queued", max_length=10, verbose_name="status")),
                        ("queued_at", models.DateTimeField(default=django.utils.timezone.now,
                                                           verbose_name="queued at")),
                        ("started_at", models.DateTimeField(blank=True, null=True,
                                                            verbose_name="started at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True,
                                                             verbose_name="finished at")),
                        ("attempts", models.PositiveSmallIntegerField(default=0,
                                                                      verbose_name="attempts")),
                        ("result", models.JSONField(blank=True, null=True, verbose_name="result")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        ("commune", models.ForeignKey(
                            blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                            related_name="report_runs", to="communes.commune",
                            verbose_name="commune")),
                        ("requested_by", models.ForeignKey(
                            blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                            to=settings.AUTH_USER_MODEL, verbose_name="requested by")),
                    ],
                    options={
                        "verbose_name": "report run",
                        "verbose_name_plural": "report runs",
                        "ordering": ["-queued_at", "-id"],
                        "db_table": "cooperatives_reportrun",
                        "indexes": [models.Index(fields=["kind", "scope", "status", "-finished_at"],
                                                 name="cooperative_kind_b9e08f_idx")],
                        "constraints": [models.UniqueConstraint(
                            condition=models.Q(("status", "queued")),
                            fields=("kind", "scope", "year"),
                            name="report_one_queued_per_scope")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="reportrun", table=None),
        migrations.RenameIndex(model_name="reportrun", new_name="reports_run_latest_idx",
                               old_name="cooperative_kind_b9e08f_idx"),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
