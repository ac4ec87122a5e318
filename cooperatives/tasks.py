"""Celery tasks of the registry's exports and open data, and of the search's word index:
thin, they call export_jobs, open_data_files and search_words. Exports and open data run on
the `exports` queue (settings.CELERY_TASK_ROUTES), the word index on the default one."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, transaction

from core.broker import send

from . import export_jobs, open_data_files, search_words

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_export_job(job_id: int) -> str | None:
    """Write one large export's file (ExportJob); a failure is recorded on the job."""
    try:
        job = export_jobs.run(job_id)
    except (Exception, SoftTimeLimitExceeded) as error:  # noqa: BLE001 - recorded, not lost
        logger.exception("export job %s failed", job_id)
        export_jobs.fail(job_id, error)
        return None
    return job.status if job else None


@shared_task
def expire_export_jobs() -> int:
    """Celery beat, hourly: exports older than EXPORT_KEEP_HOURS are deleted, files too."""
    return export_jobs.expire()


@shared_task
def generate_open_data() -> str:
    """Write the open-data files again (coalesced: open_data_files.generate), and queue
    itself once more when a change came after its last round."""
    rounds, again = open_data_files.generate()
    if again:
        generate_open_data.delay()
    return f"{rounds} generation(s)"


def open_data_changed() -> None:
    """The registry changed (cooperatives.signals): after the commit, the open-data files are
    stale; with a broker, one generation is queued unless one is in flight (which then runs
    once more)."""
    def after_commit():
        open_data_files.mark_stale()
        if open_data_files.claim():
            generate_open_data.delay()

    transaction.on_commit(after_commit)


@shared_task
def index_search_words() -> int:
    """Index the organisations inserted since the last run in the search's word index
    (search_words.index_pending); sent after a commit that created organisations, and by
    Celery beat every minute for any left behind."""
    return search_words.index_pending()


def organisations_created() -> None:
    """Organisations were inserted: after the commit, their words are indexed (on
    PostgreSQL; searches read the organisations themselves until then). An unreachable
    broker fails nothing: beat's entry indexes them once it is back."""
    if connection.vendor == "postgresql":
        transaction.on_commit(lambda: send(index_search_words))
