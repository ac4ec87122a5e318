"""Import jobs: upload, check in the background, read the result later, import the checked
file; who may do what."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cooperatives.imports import import_job_create, import_job_run
from cooperatives.imports.tasks import run_import_job
from cooperatives.models import ImportJob, Organisation

from ..conftest import CAST, client_for
from .test_import_organisations import HEADER, as_csv, good_rows

pytestmark = pytest.mark.django_db
WRITERS = {"agent_a", "admin_user"}


@pytest.fixture
def cast(commune_a, cassava, maize, poultry, org_a, org_b, cast):
    """The cast of tests/conftest.py, after the filières the imported rows name."""
    return cast


def upload(client, rows, action="check", name="orgs.csv"):
    return client.post("/quality/communes/CM901001001/import/", {
        "file": SimpleUploadedFile(name, as_csv(HEADER, rows), "text/csv"), "action": action},
        HTTP_ACCEPT_LANGUAGE="en")


def test_it_checks_then_imports_a_file(cast, django_capture_on_commit_callbacks):
    client = client_for(cast["agent_a"])
    before = Organisation.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, good_rows())
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/quality/imports/{job.pk}/"
    assert (job.status, job.dry_run, job.rows_total, job.created_count, job.refused_count) == (
        "done", True, 3, 3, 0)
    assert job.result["created"] == [[2, "Coopérative des Planteurs"], [3, "GIC Espoir"],
                                     [4, "Union des Éleveurs"]]
    assert Organisation.objects.count() == before
    page = client.get(f"/quality/imports/{job.pk}/")
    assert page.status_code == 200
    assert f"/quality/imports/{job.pk}/confirm/" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/quality/imports/{job.pk}/confirm/")
    imported = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == f"/quality/imports/{imported.pk}/"
    assert (imported.status, imported.dry_run, imported.created_count) == ("done", False, 3)
    assert bytes(imported.content) == b""  # the rows are in the registry now
    assert Organisation.objects.count() == before + 3
    listing = client.get("/quality/imports/").content.decode()
    assert listing.count("orgs.csv") == 2


def test_it_keeps_every_error_of_a_refused_file(cast, django_capture_on_commit_callbacks):
    client = client_for(cast["agent_a"])
    rows = good_rows()
    rows[0][10] = "99"
    rows[2][5] = "CM901001002"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, rows, action="import")
    job = ImportJob.objects.get()
    assert (job.status, job.dry_run, job.refused_count, job.created_count) == (
        "done", False, 2, 1)
    assert [e[:2] for e in job.result["errors"]] == [[2, "femmes"], [4, "commune"]]
    assert Organisation.objects.filter(commune__pcode="CM901001001").count() == 1  # org_a
    page = client.get(f"/quality/imports/{job.pk}/").content.decode()
    assert "Women members cannot exceed total members." in page
    assert "/confirm/" not in page
    errors = client.get(f"/quality/imports/{job.pk}/errors.csv")
    text = errors.content.decode("utf-8-sig").splitlines()
    assert text[1] == "2,femmes,Women members cannot exceed total members."
    assert client.post(f"/quality/imports/{job.pk}/confirm/").status_code == 302
    assert ImportJob.objects.count() == 1


def test_it_runs_a_job_once_even_if_the_task_is_delivered_twice(cast,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_create(user=cast["agent_a"], commune=cast["agent_a"].roles.get().commune,
                                file_name="orgs.csv", content=as_csv(HEADER, good_rows()),
                                dry_run=False)
    assert job.status == "queued"
    assert run_import_job.apply(args=[job.pk]).get() == "done"
    assert run_import_job.apply(args=[job.pk]).get() == "done"
    assert Organisation.objects.filter(name="GIC Espoir").count() == 1


def test_it_reports_progress_and_records_failures(cast, django_capture_on_commit_callbacks):
    agent = cast["agent_a"]
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_create(user=agent, commune=agent.roles.get().commune,
                                file_name="orgs.csv", content=as_csv(HEADER, good_rows()),
                                dry_run=True)
    agent.roles.all().delete()  # the uploader lost the commune before the worker ran
    del agent._reless_scope
    job = import_job_run(job.pk)
    assert (job.status, job.error) == ("failed",
                                       "The uploader may no longer write to this commune.")
    assert job.finished_at is not None


def test_it_refuses_files_that_are_not_tables(cast):
    response = upload(client_for(cast["agent_a"]), good_rows(), name="orgs.pdf")
    assert response.status_code == 200
    assert "Choose a .csv or .xlsx file." in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("role", CAST)
def test_it_lets_only_the_communes_writers_upload(cast, role,
                                                  django_capture_on_commit_callbacks):
    client = client_for(cast[role])
    page = client.get("/quality/communes/CM901001001/import/")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, good_rows(), action="import")
    if role == "anonymous":
        assert page.status_code == response.status_code == 302
    elif role in WRITERS:
        assert page.status_code == 200 and response.status_code == 302
        assert ImportJob.objects.get().uploader == cast[role]
        return
    else:
        assert page.status_code == response.status_code == 404
    assert ImportJob.objects.count() == 0
    assert not Organisation.objects.filter(name="GIC Espoir").exists()


@pytest.mark.parametrize("role", CAST)
def test_it_shows_a_job_to_its_uploader_and_admins_only(cast, role,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(user=cast["agent_a"], commune=cast["agent_a"].roles.get().commune,
                                file_name="orgs.csv", content=as_csv(HEADER, good_rows()),
                                dry_run=True)
    client = client_for(cast[role])
    detail = client.get(f"/quality/imports/{job.pk}/")
    errors = client.get(f"/quality/imports/{job.pk}/errors.csv")
    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.post(f"/quality/imports/{job.pk}/confirm/")
    if role == "anonymous":
        assert detail.status_code == errors.status_code == confirm.status_code == 302
        assert ImportJob.objects.count() == 1
    elif role in WRITERS:
        assert detail.status_code == errors.status_code == 200
        # Only the uploader imports a checked file; an admin reads it.
        assert confirm.status_code == (302 if role == "agent_a" else 404)
    else:
        assert detail.status_code == errors.status_code == confirm.status_code == 404
        assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("role", CAST)
def test_it_serves_templates_and_import_lists_to_writers(cast, role):
    client = client_for(cast[role])
    responses = [client.get(url) for url in ("/quality/imports/template.csv",
                                             "/quality/imports/template.xlsx",
                                             "/quality/imports/")]
    codes = {r.status_code for r in responses}
    if role == "anonymous":
        assert codes == {302}
    elif role in WRITERS or role == "agent_b":
        assert codes == {200}
    else:
        assert codes == {404}
    assert client.get("/quality/imports/template.pdf").status_code in (302, 404)


def test_it_fails_jobs_no_worker_finished(cast, django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    from cooperatives.imports.tasks import fail_stale_import_jobs

    with django_capture_on_commit_callbacks(execute=False):
        old = import_job_create(user=cast["agent_a"], commune=cast["agent_a"].roles.get().commune,
                                file_name="old.csv", content=b"nom\r\nA\r\n", dry_run=True)
        new = import_job_create(user=cast["agent_a"], commune=cast["agent_a"].roles.get().commune,
                                file_name="new.csv", content=b"nom\r\nA\r\n", dry_run=True)
    ImportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2))
    assert fail_stale_import_jobs() == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == ("failed", "queued")
    assert old.error == "Timed out: no worker finished this import."


def test_it_writes_nothing_when_the_job_was_finished_meanwhile(cast):
    from cooperatives.imports import import_organisations

    result = import_organisations(user=cast["agent_a"], commune=cast["agent_a"].roles.get().commune,
                                  rows=as_csv(HEADER, good_rows()), file_name="orgs.csv",
                                  dry_run=False, before_write=lambda: False)
    assert result.ok and not result.written
    assert not Organisation.objects.filter(name="GIC Espoir").exists()
