"""Two workers on separate queues (docs/operations.md, "Where one machine ends"): a national
export held on the `exports` queue's worker never delays a commune's report on the reports'
worker; one worker for both queues does (the comparison that shows the test can fail).

Real Redis, real Celery worker processes, the test database (CI: `.ci/run`)."""

import tempfile
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from cooperatives.models import ExportJob
from reports.models import ReportRun

from ..celery_worker import Worker, requires_services, wait_for, worker_factory  # noqa: F401

pytestmark = [pytest.mark.worker, requires_services()]
YEAR = timezone.now().year
HOLD = 30  # seconds the export job is held once running


@pytest.fixture
def export_queue(settings, tmp_path, monkeypatch):
    """The export tasks sent to a queue of this test's own (as EXPORT_QUEUE routes them)."""
    from cooperatives.tasks import run_export_job

    queue = f"test-exports-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(run_export_job, "delay",
                        lambda *args: run_export_job.apply_async(args, queue=queue))
    settings.EXPORT_SYNC_MAX_ROWS = 0  # every export is a job
    settings.EXPORT_DIR = str(tmp_path)
    settings.REPORT_REFRESH_DEBOUNCE = 0
    workers: list[Worker] = []
    yield queue, workers
    for worker in workers:
        worker.stop()


def _ask_export(client) -> ExportJob:
    answer = client.get("/quality/exports/organisations.csv")
    assert answer.status_code == 302
    return ExportJob.objects.get(pk=int(answer["Location"].rstrip("/").rsplit("/", 1)[1]))


def _ask_report(client, commune) -> int:
    answer = client.post("/api/v1/reports/cooperation/runs/",
                         {"commune": commune.pcode, "year": YEAR}, format="json")
    assert answer.status_code == 202, answer.content
    return answer.json()["id"]


def _status(model, pk) -> str:
    return model.objects.get(pk=pk).status


def test_a_commune_report_is_not_held_behind_a_national_export(
        worker_factory, export_queue,  # noqa: F811
        client, admin_user, agent_a, org_a, commune_a):
    from ..api_tokens import token_client

    queue, workers = export_queue
    exports = Worker(queue, {"EXPORT_TASK_DELAY": str(HOLD),
                             "RELESS_EXPORT_DIR": str(tmp_dir(queue))}).start()
    workers.append(exports)
    worker_factory()  # the reports' worker, on the default (test) queue
    client.force_login(admin_user)
    job = _ask_export(client)
    wait_for(lambda: _status(ExportJob, job.pk) == ExportJob.Status.RUNNING, timeout=60)

    run_id = _ask_report(token_client(agent_a), commune_a)
    wait_for(lambda: _status(ReportRun, run_id) == ReportRun.Status.DONE, timeout=HOLD - 5)
    assert _status(ExportJob, job.pk) == ExportJob.Status.RUNNING  # still held
    wait_for(lambda: _status(ExportJob, job.pk) == ExportJob.Status.DONE, timeout=HOLD + 60)


def test_one_worker_for_both_queues_holds_the_report_behind_the_export(
        worker_factory, export_queue,  # noqa: F811
        client, admin_user, agent_a, org_a, commune_a):
    from reless_platform.celery import app

    from ..api_tokens import token_client

    queue, workers = export_queue
    # One worker process (concurrency 1) consuming the export queue and the reports' queue.
    both = Worker(f"{queue},{app.conf.task_default_queue}",
                  {"EXPORT_TASK_DELAY": "8", "RELESS_EXPORT_DIR": str(tmp_dir(queue))})
    both.start()
    workers.append(both)
    client.force_login(admin_user)
    job = _ask_export(client)
    wait_for(lambda: _status(ExportJob, job.pk) == ExportJob.Status.RUNNING, timeout=60)

    run_id = _ask_report(token_client(agent_a), commune_a)
    wait_for(lambda: _status(ReportRun, run_id) == ReportRun.Status.DONE, timeout=120)
    job.refresh_from_db()
    run = ReportRun.objects.get(pk=run_id)
    assert job.status == ExportJob.Status.DONE
    assert run.started_at >= job.finished_at  # the report waited for the export


def tmp_dir(queue: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"reless-{queue}"
    path.mkdir(exist_ok=True)
    return path
