"""Large exports become jobs (a page that refreshes, a file for its owner only); the open-data
files are written ahead, marked stale by changes, and served with Content-Length and ETag."""

import csv
import datetime
import io

import pytest
from django.core.cache import cache
from django.utils import timezone
from openpyxl import load_workbook

from cooperatives import export_jobs, open_data_files
from cooperatives.models import ExportJob, Organisation

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1


@pytest.fixture
def three(org_a, org_b, commune_a, cassava):
    OrganisationFactory(name="Troisième", commune=commune_a, primary_filiere=cassava,
                        contact_name="Hidden Person", contact_consent="withdrawn", status="dormant")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_small_export_still_streams(three, admin_user):
    response = client_for(admin_user).get("/quality/exports/organisations.csv")
    assert response.status_code == 200 and response.streaming
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_large_export_becomes_a_job_its_owner_downloads(
        three, admin_user, agent_a, small_threshold, django_capture_on_commit_callbacks, fmt):
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/quality/exports/organisations.{fmt}?status=active")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/quality/exports/jobs/{job.pk}/"
    assert (job.user, job.kind, job.fmt, job.rows_total) == (admin_user, "organisations", fmt, 2)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert job.status == "queued" or b'http-equiv="refresh"' not in page.content
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == 2 and job.finished_at
    download = client.get(f"/quality/exports/jobs/{job.pk}/download")
    assert download.status_code == 200
    content = _body(download)
    assert int(download["Content-Length"]) == len(content) > 0
    assert f'.{fmt}"' in download["Content-Disposition"]
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        assert "Awa Secret" in text and "Troisième" not in text  # status=active only
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[rows.index([]) + 1][0] == "id" and len(rows) - rows.index([]) - 2 == 2
    else:
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        assert sheet.max_row >= 3
    # Anyone else: 404, the page and the file.
    other = client_for(agent_a)
    assert other.get(f"/quality/exports/jobs/{job.pk}/").status_code == 404
    assert other.get(f"/quality/exports/jobs/{job.pk}/download").status_code == 404
    # The owner without a role any more: 404 too.
    admin_user.roles.all().delete()
    type(admin_user).objects.filter(pk=admin_user.pk).update(is_superuser=False)
    assert client.get(f"/quality/exports/jobs/{job.pk}/download").status_code == 404


def test_the_page_refreshes_while_the_job_runs(admin_user):
    job = ExportJob.objects.create(user=admin_user, kind="organisations", fmt="csv",
                                   status="running", rows_total=10_000, rows_done=2_500,
                                   download_name="organisations-20260101")
    page = client_for(admin_user).get(f"/quality/exports/jobs/{job.pk}/")
    html = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress max="100" value="25">' in html
    assert "/download" not in html
    french = client_for(admin_user, "fr").get(f"/quality/exports/jobs/{job.pk}/").content.decode()
    assert "2\u202f500 lignes écrites sur 10\u202f000" in french or "lignes écrites" in french
    assert client_for(admin_user).get(
        f"/quality/exports/jobs/{job.pk}/download").status_code == 404


def test_the_registry_list_csv_becomes_a_job_too(three, agent_a, small_threshold,
                                                 django_capture_on_commit_callbacks):
    client = client_for(agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/communes/CM901001001/organisations/?format=csv")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.kind == "list" and job.params["pcode"] == "CM901001001"
    job.refresh_from_db()
    assert job.status == "done"
    text = _body(client.get(f"/quality/exports/jobs/{job.pk}/download")).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "id" and {r[2] for r in rows[1:]} == {"Coop Manioc Alpha",
                                                               "Troisième"}
    assert "Hidden Person" not in text  # consent withdrawn


def test_old_jobs_expire_with_their_files(three, admin_user, small_threshold,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).get("/quality/exports/organisations.csv")
    job = ExportJob.objects.get()
    path = export_jobs.file_path(job)
    assert path.exists()
    assert export_jobs.expire() == 0
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25))
    assert export_jobs.expire() == 1
    assert not path.exists() and not ExportJob.objects.exists()


def test_a_failed_job_says_so(admin_user, monkeypatch):
    job = ExportJob.objects.create(user=admin_user, kind="organisations", fmt="csv",
                                   download_name="x")
    monkeypatch.setattr(export_jobs.exports, "organisation_table",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    from cooperatives.tasks import run_export_job

    run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "boom" in job.error
    page = client_for(admin_user).get(f"/quality/exports/jobs/{job.pk}/")
    assert b"refresh" not in page.content


# Open data ------------------------------------------------------------------------------------

def test_open_data_is_served_as_a_file_and_written_again_after_a_change(client, org_a, org_b):
    first = client.get("/open-data/organisations.csv")
    assert first.status_code == 200
    body = _body(first)
    assert int(first["Content-Length"]) == len(body) and first["ETag"]
    assert first["Cache-Control"].startswith("public") and first["Last-Modified"]
    assert client.get("/open-data/organisations.csv",
                      HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    again = client.get("/open-data/organisations.csv")
    assert again["ETag"] == first["ETag"]  # the same file, not written again
    org_a.name = "Coop Renommée"
    org_a.save()
    after = client.get("/open-data/organisations.csv")
    assert after["ETag"] != first["ETag"]
    text = _body(after).decode()
    assert "Coop Renommée" in text and int(after["Content-Length"]) == len(text.encode())
    Organisation.objects.filter(pk=org_b.pk).delete()
    assert "Coop Manioc Bêta" not in _body(client.get("/open-data/organisations.csv")).decode()


def test_open_data_answers_503_while_its_first_file_is_written(client, org_a):
    for name in open_data_files.directory().iterdir():
        name.unlink()
    cache.set(open_data_files.WRITING, 1)
    try:
        response = client.get("/open-data/organisations.csv")
    finally:
        cache.delete(open_data_files.WRITING)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert client.get("/open-data/organisations.csv").status_code == 200


def test_changes_queue_one_generation_at_a_time(org_a, monkeypatch,
                                                django_capture_on_commit_callbacks):
    """With a broker: the first change queues a generation, a change during it queues none
    but makes the running one write the files once more."""
    from celery import current_app

    from cooperatives import tasks

    queued = []
    monkeypatch.setattr(tasks.generate_open_data, "delay", lambda: queued.append(1))
    cache.delete(open_data_files.QUEUED)
    eager, current_app.conf.task_always_eager = current_app.conf.task_always_eager, False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            tasks.open_data_changed()
            tasks.open_data_changed()
    finally:
        current_app.conf.task_always_eager = eager
    assert queued == [1]
    writes = []

    def write_csv(state):
        writes.append(state)
        if len(writes) == 1:  # a change lands while the first round writes
            with django_capture_on_commit_callbacks(execute=True):
                tasks.open_data_changed()
        return {}

    monkeypatch.setattr(open_data_files, "write_csv", write_csv)
    monkeypatch.setattr(open_data_files, "write_jsonld", lambda base, state: {})
    assert tasks.generate_open_data() == "2 generation(s)"
    assert queued == [1] and len(writes) == 2
    assert cache.get(open_data_files.QUEUED) is None
    assert cache.get(open_data_files.WRITING) is None


def test_a_generation_waiting_in_the_queue_does_not_hold_the_first_request(client, org_a):
    """The worker is slow or down: the queued generation holds QUEUED only, so the first
    request writes the file itself instead of answering 503 for the key's lifetime."""
    for name in open_data_files.directory().iterdir():
        name.unlink()
    cache.set(open_data_files.QUEUED, 1)
    try:
        response = client.get("/open-data/organisations.csv")
    finally:
        cache.delete(open_data_files.QUEUED)
    assert response.status_code == 200
    assert "Coop Manioc Alpha" in _body(response).decode()
