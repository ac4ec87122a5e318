"""End to end through Redis and a real Celery worker process (CI: `.ci/run`)."""

import json

import pytest
from django.utils import timezone

from reports.models import ReportRun
from reports.tasks import run_report

from ..api_tokens import token_client
from ..celery_worker import requires_services, wait_for, worker_factory  # noqa: F401
from ..factories import LinkFactory, OrganisationFactory

pytestmark = [pytest.mark.worker, requires_services()]
# The factories create today's registry: a past year would rightly show none of it.
YEAR = timezone.now().year


def _status(run_id: int) -> str:
    return ReportRun.objects.get(pk=run_id).status


def _done(run_id: int):
    return _status(run_id) == "done"


@pytest.fixture(autouse=True)
def _refresh_at_once(settings):
    """Edits queue their refreshes without the debounce: the tests wait for every run."""
    settings.REPORT_REFRESH_DEBOUNCE = 0


@pytest.fixture
def registry(commune_a, commune_b, org_a, org_b, cassava):
    third = OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=30)
    LinkFactory(source=org_a, target=third)
    LinkFactory(source=org_a, target=org_b, kind="training")
    return third


def test_it_runs_a_commune_report_from_an_api_request(worker_factory, registry, agent_a,  # noqa: F811
                                                       commune_a):
    worker_factory()
    client = token_client(agent_a)
    answer = client.post("/api/v1/reports/cooperation/runs/",
                         {"commune": commune_a.pcode, "year": YEAR}, format="json")
    assert answer.status_code == 202
    run_id = answer.json()["id"]
    wait_for(lambda: _done(run_id))
    status = client.get(f"/api/v1/reports/runs/{run_id}/").json()
    assert status["status"] == "done" and status["attempts"] == 1
    report = client.get(f"/api/v1/reports/cooperation/?commune={commune_a.pcode}").json()
    assert report["run"] == run_id
    assert report["result"]["active_organisations"] == 2
    assert report["result"]["links"] == 2
    assert report["result"]["cross_commune"] == 1


def test_it_runs_the_national_reports_from_an_api_request(worker_factory, registry,  # noqa: F811
                                                          admin_user):
    worker_factory()
    client = token_client(admin_user)
    answer = client.post("/api/v1/reports/convergence/runs/", {"year": YEAR}, format="json")
    assert answer.status_code == 202
    national = ReportRun.objects.get(pk=answer.json()["id"])
    assert national.scope == "national"
    # The registry's edits also queued this year's refreshes: wait for them too.
    wait_for(lambda: not ReportRun.objects.filter(year=YEAR,
                                                  status__in=["queued", "running"]).exists(),
             timeout=120)
    failed = list(ReportRun.objects.filter(status="failed").values_list("scope", "error"))
    assert failed == []
    national.refresh_from_db()
    assert national.status == "done" and national.kind == "convergence"
    assert set(ReportRun.objects.filter(scope="national", year=YEAR, status="done")
               .values_list("kind", flat=True)) == {"convergence", "cooperation"}
    report = client.get("/api/v1/reports/cooperation/").json()
    assert report["scope"] == "national"
    assert report["result"]["active_organisations"] == 3


def test_it_finishes_a_run_after_the_worker_is_killed_mid_run(worker_factory, registry,  # noqa: F811
                                                              commune_a):
    reference, _ = ReportRun.objects.get_or_create(kind="cooperation", scope=commune_a.pcode,
                                                   year=YEAR, commune=commune_a)
    run_report.apply(args=[reference.pk])  # the same computation, in-process, for comparison
    reference.refresh_from_db()

    slow = dict(REPORT_TASK_DELAY=4, CELERY_VISIBILITY_TIMEOUT=3, CELERY_RESTORE_INTERVAL=1,
                CELERY_RESTORE_THROTTLE=1)
    worker = worker_factory(**slow)
    run = ReportRun.objects.create(kind="cooperation", scope=commune_a.pcode, year=YEAR,
                                   commune=commune_a)
    run_report.delay(run.pk)
    wait_for(lambda: _status(run.pk) == "running")
    worker.kill()
    assert _status(run.pk) == "running"

    worker_factory(**slow)
    wait_for(lambda: _done(run.pk), timeout=90)
    run.refresh_from_db()
    assert run.attempts >= 2
    assert json.dumps(run.result, sort_keys=True) == json.dumps(reference.result, sort_keys=True)


def test_it_marks_a_run_failed_when_its_task_raises(worker_factory, commune_a):  # noqa: F811
    worker_factory()
    run = ReportRun.objects.create(kind="unknown-kind", scope=commune_a.pcode, year=YEAR,
                                   commune=commune_a)
    run_report.delay(run.pk)
    wait_for(lambda: _status(run.pk) == "failed")
    run.refresh_from_db()
    assert run.error and run.finished_at is not None
