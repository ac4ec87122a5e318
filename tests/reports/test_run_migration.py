"""ReportRun moved from cooperatives to reports (reports.0001, cooperatives.0006): a database
holding runs keeps them, and their content type, across the move and back."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cooperatives", "0005_normalise_contact_phones"), ("reports", None)]
LATEST = None  # every app at its latest migration (the move included)
QUEUED_AT = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC)
FINISHED_AT = datetime.datetime(2026, 3, 1, 8, 31, tzinfo=datetime.UTC)


def _migrate(targets):
    """Migrate to `targets` (LATEST: every app's leaf); the models of every app at that point."""
    executor = MigrationExecutor(connection)
    if targets is LATEST:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    loader = MigrationExecutor(connection).loader
    # The state of what is applied now (apps depending on later migrations of cooperatives,
    # such as support, were unapplied with them).
    nodes = [node for node in loader.applied_migrations if node in loader.graph.nodes]
    return loader.graph.make_state(nodes=nodes, at_end=True, real_apps=set()).apps


@pytest.fixture
def old_runs(transactional_db):
    """Runs and an admin log entry stored while ReportRun was cooperatives'; after the test
    the database is back at the latest migrations."""
    apps = _migrate(BEFORE)
    Commune = apps.get_model("communes", "Commune")
    ReportRun = apps.get_model("cooperatives", "ReportRun")
    User = apps.get_model("accounts", "User")
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("admin", "LogEntry")
    region = apps.get_model("communes", "Region").objects.create(pcode="CM099", name_fr="R")
    department = apps.get_model("communes", "Department").objects.create(
        pcode="CM099001", name_fr="D", region=region)
    commune = Commune.objects.create(pcode="CM099001001", name_fr="Ville", department=department)
    admin = User.objects.create(username="admin", is_superuser=True)
    done = ReportRun.objects.create(
        kind="cooperation", commune=commune, scope=commune.pcode, year=2026, status="done",
        requested_by=admin, queued_at=QUEUED_AT, started_at=QUEUED_AT, finished_at=FINISHED_AT,
        attempts=1, result={"links": 3, "density": {"num": 1, "den": 3}})
    queued = ReportRun.objects.create(kind="convergence", scope="national", year=2026,
                                      queued_at=QUEUED_AT)
    content_type, _ = ContentType.objects.get_or_create(app_label="cooperatives",
                                                        model="reportrun")
    LogEntry.objects.create(user=admin, content_type=content_type, object_id=str(done.pk),
                            object_repr="run", action_flag=2, action_time=FINISHED_AT)
    yield {"done": done.pk, "queued": queued.pk, "commune": commune.pk, "admin": admin.pk,
           "content_type": content_type.pk}
    _migrate(LATEST)


@pytest.mark.django_db(transaction=True)
def test_it_keeps_stored_runs_when_report_run_moves_to_reports(old_runs):
    _migrate(LATEST)
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from reports.models import ReportRun

    done = ReportRun.objects.get(pk=old_runs["done"])
    assert (done.kind, done.scope, done.year, done.status, done.attempts) == (
        "cooperation", "CM099001001", 2026, "done", 1)
    assert (done.commune_id, done.requested_by_id) == (old_runs["commune"], old_runs["admin"])
    assert (done.queued_at, done.started_at, done.finished_at) == (
        QUEUED_AT, QUEUED_AT, FINISHED_AT)
    assert done.result == {"links": 3, "density": {"num": 1, "den": 3}}
    queued = ReportRun.objects.get(pk=old_runs["queued"])
    assert (queued.kind, queued.scope, queued.status, queued.commune_id) == (
        "convergence", "national", "queued", None)
    assert ReportRun._meta.db_table == "reports_reportrun"
    assert "reports_reportrun" in connection.introspection.table_names()
    assert "cooperatives_reportrun" not in connection.introspection.table_names()
    content_type = ContentType.objects.get_for_model(ReportRun)
    assert content_type.pk == old_runs["content_type"]
    assert LogEntry.objects.get().get_edited_object() == done


@pytest.mark.django_db(transaction=True)
def test_it_still_coalesces_queued_runs_on_the_renamed_table(old_runs):
    from django.db import IntegrityError, transaction

    _migrate(LATEST)
    from reports.models import ReportRun

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportRun.objects.create(kind="convergence", scope="national", year=2026)
    assert ReportRun.objects.count() == 2
