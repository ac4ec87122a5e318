"""A national report and an export job run with the garbage collector's thresholds raised,
and they are put back afterwards, whatever happens (core/collection.py)."""

import gc

import pytest

from core.collection import LARGE_THRESHOLDS, fewer_collections

pytestmark = pytest.mark.django_db


def test_the_thresholds_are_raised_for_the_computation_and_put_back():
    before = gc.get_threshold()
    assert before != LARGE_THRESHOLDS
    with fewer_collections():
        assert gc.get_threshold() == LARGE_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(ZeroDivisionError), fewer_collections():
        1 / 0  # noqa: B018
    assert gc.get_threshold() == before


def test_a_national_report_runs_with_them(org_a, org_b, monkeypatch):
    """`run_national` computes and stores under the raised thresholds (the stored national
    run says it finished)."""
    from reports import tasks
    from reports.models import ReportRun

    seen = []
    compute = tasks.compute_national

    def watched(kind, year):
        seen.append(gc.get_threshold())
        return compute(kind, year)

    monkeypatch.setattr(tasks, "compute_national", watched)
    national = ReportRun.objects.create(kind="convergence", year=2025, scope="national")
    tasks.run_national.apply(args=["convergence", 2025, national.pk, []])
    national.refresh_from_db()
    assert national.status == "done"
    assert seen == [LARGE_THRESHOLDS]
    assert gc.get_threshold() != LARGE_THRESHOLDS


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_job_writes_its_file_with_them(org_a, org_b, admin_user, monkeypatch, fmt):
    from cooperatives import export_jobs
    from cooperatives.models import ExportJob

    seen = []
    table = export_jobs.exports.organisation_table

    def watched(*args, **kwargs):
        seen.append(gc.get_threshold())
        return table(*args, **kwargs)

    monkeypatch.setattr(export_jobs.exports, "organisation_table", watched)
    job = ExportJob.objects.create(user=admin_user, kind="organisations", fmt=fmt,
                                   download_name="x")
    assert export_jobs.run(job.pk).status == "done"
    assert seen == [LARGE_THRESHOLDS]
    assert gc.get_threshold() != LARGE_THRESHOLDS
