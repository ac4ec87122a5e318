"""Merge the raw table's duplicate commune into the commune it repeats (Cameroon has 360).

The raw OCHA admin3 table carries Nye'ete twice: CM009003010 repeats CM009003009 (Niete,
the reference data's README). Databases loaded before the importer dropped it hold a 361st
commune, possibly with organisations, diagnostics and roles. Everything that points at it moves
to the kept P-code; then the duplicate is deleted:
- rows with a commune foreign key (organisations, diagnostics, interventions, roles, import jobs,
  and their audit history rows) are repointed;
- its RELESS moves when the kept commune has none, otherwise its bureau joins the kept RELESS;
- a validated diagnostic that would make two validated diagnostics of one year goes back to
  draft (the agent validates the right one again);
- its report runs are deleted: they are recomputed for the kept commune.
"""

from django.db import migrations

DUPLICATE, KEPT = "CM009003010", "CM009003009"


def merge_duplicate(apps, schema_editor):
    Commune = apps.get_model("communes", "Commune")
    duplicate = Commune.objects.filter(pcode=DUPLICATE).first()
    kept = Commune.objects.filter(pcode=KEPT).first()
    if duplicate is None or kept is None:
        return
    _report_run_model(apps).objects.filter(commune=duplicate).delete()
    _merge_reless(apps, duplicate, kept)
    _demote_conflicting_diagnostics(apps, duplicate, kept)
    for model in apps.get_models():
        for field in model._meta.fields:
            if field.is_relation and field.related_model is Commune and not field.one_to_one:
                model._base_manager.filter(**{field.attname: duplicate.pk}).update(
                    **{field.attname: kept.pk})
    duplicate.delete()


def _report_run_model(apps):
    """ReportRun is cooperatives' at this point of the migrations; it moved to the reports app
    later (reports.0001), which is where the current registry has it (the tests run
    merge_duplicate on it)."""
    try:
        return apps.get_model("cooperatives", "ReportRun")
    except LookupError:
        return apps.get_model("reports", "ReportRun")


def _merge_reless(apps, duplicate, kept):
    Reless = apps.get_model("cooperatives", "Reless")
    theirs = Reless.objects.filter(commune=duplicate).first()
    if theirs is None:
        return
    ours = Reless.objects.filter(commune=kept).first()
    if ours is None:
        theirs.commune = kept
        theirs.save(update_fields=["commune"])
        return
    apps.get_model("cooperatives", "BureauMember").objects.filter(reless=theirs).update(
        reless=ours)
    theirs.delete()


def _demote_conflicting_diagnostics(apps, duplicate, kept):
    Diagnostic = apps.get_model("diagnostics", "TerritorialDiagnostic")
    kept_years = set(Diagnostic.objects.filter(commune=kept, status="validated")
                     .values_list("year", flat=True))
    Diagnostic.objects.filter(commune=duplicate, status="validated",
                              year__in=kept_years).update(status="draft")


class Migration(migrations.Migration):

    dependencies = [
        ("communes", "0001_initial"),
        ("cooperatives", "0004_organisation_list_and_history_indexes"),
        ("diagnostics", "0002_integrity_check_runs"),
    ]

    operations = [migrations.RunPython(merge_duplicate, migrations.RunPython.noop)]
