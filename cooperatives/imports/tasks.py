"""Celery tasks of the imports: thin, they take ids and call the worker's functions."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from .worker import import_job_fail, import_job_run, import_jobs_fail_stale

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)


# The default time limits (CELERY_TASK_*TIME_LIMIT) stay below the broker's visibility
# timeout, so a message is never redelivered while its import still runs.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT,
             retry_backoff=2, retry_backoff_max=60, max_retries=3)
def run_import_job(self, job_id: int) -> str | None:
    """Check or import one uploaded file (ImportJob). The writes and the job's `done` status
    commit together under a lock of the job's row, so a redelivered message finds the job
    done and writes nothing twice; any other failure is recorded on the job."""
    try:
        job = import_job_run(job_id)
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            import_job_fail(job_id, error)
            return None
        raise
    except (Exception, SoftTimeLimitExceeded) as error:  # noqa: BLE001 - recorded, not lost
        logger.exception("import job %s failed", job_id)
        import_job_fail(job_id, error)
        return None
    return job.status if job else None


@shared_task
def fail_stale_import_jobs(max_age_seconds: int = 3600) -> int:
    """Celery beat: imports queued or running for over an hour are recorded as failed."""
    return import_jobs_fail_stale(max_age_seconds)
