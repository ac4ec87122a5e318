"""No stale figure after an edit: the edited commune's runs now, and after the debounce one
national run per kind and the convergence runs of the communes whose stored nearest-commune
lists name the edited commune; the sweeper respects the wait; pages and the API say when the
figures were computed and whether a refresh is coming."""

import datetime
import json

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from cooperatives.models import Role
from cooperatives.services import organisation_update
from reports import compute, tasks
from reports.models import ReportRun
from reports.runs import latest_done, report_run_request

from ..api_tokens import token_client
from ..celery_worker import requires_services, wait_for, worker_factory  # noqa: F401
from ..conftest import client_for
from ..factories import (
    CommuneFactory,
    DiagnosticFactory,
    EntryFactory,
    OrganisationFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
QUEUED = ReportRun.Status.QUEUED


@pytest.fixture(autouse=True)
def _debounce(settings):
    settings.REPORT_REFRESH_DEBOUNCE = 90


@pytest.fixture
def scene(commune_a, commune_b, commune_c, livestock, poultry, cassava):
    """A holds the only poultry cooperative; B needs livestock (unmet), so its stored nearest
    list names A; C has no diagnostic and names no one. B's and C's convergence runs are
    stored."""
    poultry_a = OrganisationFactory(commune=commune_a, primary_filiere=poultry)
    EntryFactory(diagnostic=DiagnosticFactory(commune=commune_b, year=YEAR), sector=livestock,
                 priority_rank=1, need="Provenderie")
    for commune in (commune_b, commune_c):
        run, _ = report_run_request(kind="convergence", year=YEAR, commune=commune)
        tasks.run_report(run.pk)
    return poultry_a


def _edit(user, organisation, capture, **fields):
    with capture(execute=True):
        organisation_update(user=user, organisation=organisation, **fields)


def _queued():
    return sorted(ReportRun.objects.filter(status=QUEUED).values_list("kind", "scope"))


def test_it_queues_the_national_and_neighbour_refreshes_after_an_edit(
        scene, agent_a, commune_a, commune_b, django_capture_on_commit_callbacks):
    stored_b = latest_done("convergence", commune=commune_b).result
    assert [n["commune"] for n in stored_b["unmet_needs"][0]["nearest"]] == [commune_a.pcode]
    before = timezone.now()
    _edit(agent_a, scene, django_capture_on_commit_callbacks, members_total=40)
    after = timezone.now()

    edited = ReportRun.objects.filter(scope=commune_a.pcode)
    assert sorted(edited.values_list("kind", "status")) == [("convergence", "done"),
                                                            ("cooperation", "done")]
    assert _queued() == [("convergence", commune_b.pcode), ("convergence", "national"),
                         ("cooperation", "national")]
    for run in ReportRun.objects.filter(status=QUEUED):
        assert (before + datetime.timedelta(seconds=90) <= run.not_before
                <= after + datetime.timedelta(seconds=90))


def test_it_coalesces_a_burst_into_one_national_run_per_kind(
        admin_user, poultry, django_capture_on_commit_callbacks):
    organisations = [OrganisationFactory(commune=CommuneFactory(latitude=4 + n / 10,
                                                                longitude=11.0),
                                         primary_filiere=poultry) for n in range(20)]
    for n in range(100):
        _edit(admin_user, organisations[n % 20], django_capture_on_commit_callbacks,
              members_total=20 + n)
    national = ReportRun.objects.filter(scope="national")
    assert sorted(national.values_list("kind", "status", "year")) == [
        ("convergence", "queued", YEAR), ("cooperation", "queued", YEAR)]
    assert ReportRun.objects.exclude(scope="national").filter(status=QUEUED).count() == 0
    assert ReportRun.objects.filter(status="done").count() == 200


def test_it_queues_a_new_national_run_behind_a_running_one(
        scene, agent_a, django_capture_on_commit_callbacks):
    _edit(agent_a, scene, django_capture_on_commit_callbacks, members_total=40)
    ReportRun.objects.filter(scope="national").update(status=ReportRun.Status.RUNNING)
    _edit(agent_a, scene, django_capture_on_commit_callbacks, members_total=41)
    assert sorted(ReportRun.objects.filter(scope="national").values_list("kind", "status")) == [
        ("convergence", "queued"), ("convergence", "running"),
        ("cooperation", "queued"), ("cooperation", "running")]


def test_without_a_broker_the_edit_leaves_the_refresh_to_a_timer_thread(
        scene, agent_a, commune_b, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.REPORT_REFRESH_IN_PROCESS = True
    timers = []

    class Timer:
        def __init__(self, wait, function, args):
            timers.append((round(wait), args[0].name, args[1]))
            self.daemon = False

        def start(self):
            assert self.daemon

    monkeypatch.setattr(tasks.threading, "Timer", Timer)
    _edit(agent_a, scene, django_capture_on_commit_callbacks, members_total=40)
    national = {r.kind: r.pk for r in ReportRun.objects.filter(scope="national")}
    neighbour = ReportRun.objects.get(scope=commune_b.pcode, status=QUEUED).pk
    assert sorted(timers) == [
        (90, "reports.tasks.run_national", ["convergence", YEAR, national["convergence"], []]),
        (90, "reports.tasks.run_national", ["cooperation", YEAR, national["cooperation"], []]),
        (90, "reports.tasks.run_report", [neighbour])]
    assert not ReportRun.objects.filter(scope="national").exclude(status=QUEUED).exists()


def test_a_recompute_brings_a_waiting_run_forward(commune_a):
    later = timezone.now() + datetime.timedelta(seconds=90)
    waiting = tasks.request_report(kind="cooperation", year=YEAR, commune=commune_a,
                                   not_before=later)
    again = tasks.request_report(kind="cooperation", year=YEAR, commune=commune_a,
                                 not_before=later + datetime.timedelta(seconds=30))
    assert again.pk == waiting.pk and again.not_before == later
    now = tasks.request_report(kind="cooperation", year=YEAR, commune=commune_a)
    assert now.pk == waiting.pk and now.not_before is None
    assert ReportRun.objects.get(pk=waiting.pk).not_before is None


def test_the_sweeper_sends_a_waiting_run_only_once_due(commune_a, commune_b):
    national = ReportRun.objects.create(
        kind="cooperation", scope="national", year=YEAR,
        queued_at=timezone.now() - datetime.timedelta(minutes=10),
        not_before=timezone.now() + datetime.timedelta(seconds=60))
    assert tasks.requeue_queued_runs() == 0
    assert ReportRun.objects.get(pk=national.pk).status == "queued"
    ReportRun.objects.filter(pk=national.pk).update(
        not_before=timezone.now() - datetime.timedelta(minutes=3))
    assert tasks.requeue_queued_runs() == 1
    national.refresh_from_db()
    assert national.status == "done" and national.result["active_organisations"] == 0
    # run_national stored the communes' reports that had none (both empty communes)
    assert sorted(ReportRun.objects.filter(status="done", kind="cooperation")
                  .values_list("scope", flat=True)) == [commune_a.pcode, commune_b.pcode,
                                                        "national"]


def test_the_stale_sweep_counts_from_when_a_run_was_due(commune_a):
    old = timezone.now() - datetime.timedelta(hours=2)
    waiting = ReportRun.objects.create(kind="cooperation", scope="national", year=YEAR,
                                       queued_at=old,
                                       not_before=timezone.now() - datetime.timedelta(minutes=30))
    assert tasks.fail_stale_runs() == 0
    ReportRun.objects.filter(pk=waiting.pk).update(not_before=old)
    assert tasks.fail_stale_runs() == 1
    assert ReportRun.objects.get(pk=waiting.pk).status == "failed"


def test_every_stored_figure_equals_a_recomputation_once_the_refreshes_ran(
        scene, agent_a, commune_a, commune_b, commune_c, django_capture_on_commit_callbacks):
    _edit(agent_a, scene, django_capture_on_commit_callbacks, status="dormant")
    ReportRun.objects.filter(status=QUEUED).update(
        not_before=timezone.now() - datetime.timedelta(minutes=3),
        queued_at=timezone.now() - datetime.timedelta(minutes=3))
    assert tasks.requeue_queued_runs() == 3
    assert not ReportRun.objects.exclude(status="done").exists()
    for kind in ("convergence", "cooperation"):
        national = latest_done(kind).result
        assert _same(national, compute.compute_national(kind, YEAR))
        for commune in (commune_a, commune_b, commune_c):
            fresh = compute.compute_for_communes(kind, [commune.pk], YEAR)[commune.pk]
            assert _same(latest_done(kind, commune=commune, year=YEAR).result, fresh)
    assert latest_done("convergence", commune=commune_b).result["unmet_needs"][0][
        "nearest"] == []


def _same(stored, fresh) -> bool:
    return json.dumps(stored, sort_keys=True) == json.dumps(fresh, sort_keys=True)


def test_pages_and_the_api_say_when_and_whether_a_refresh_is_coming(
        scene, commune_b):
    run = latest_done("convergence", commune=commune_b)
    ReportRun.objects.filter(pk=run.pk).update(
        finished_at=datetime.datetime(2026, 12, 5, 8, 12, tzinfo=datetime.UTC))
    due = datetime.datetime(2026, 12, 5, 9, 30, tzinfo=datetime.UTC)
    ReportRun.objects.create(kind="convergence", commune=commune_b, scope=commune_b.pcode,
                             year=YEAR, not_before=due)
    agent_b = UserFactory(username="agent.b")
    RoleFactory(user=agent_b, role=Role.CTD_AGENT, commune=commune_b)
    page = client_for(agent_b)
    page.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    text = page.get(f"/reports/convergence/{commune_b.pcode}/").content.decode()
    assert "Chiffres calculés le 5 déc. 2026 à 09:12, pour l'année 2026." in text
    assert "Une mise à jour est prévue à 10:30" in text
    answer = token_client(agent_b).get(
        f"/api/v1/reports/convergence/?commune={commune_b.pcode}").json()
    assert answer["computed_at"] == "2026-12-05T08:12:00Z"
    assert answer["refresh_pending"] is True
    assert answer["refresh_due"] == "2026-12-05T09:30:00Z"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@requires_services()
def test_a_real_worker_leaves_no_stale_figure_after_a_burst(
        worker_factory, scene, agent_a, admin_user, commune_a, commune_b, commune_c,  # noqa: F811
        cassava, poultry, settings):
    settings.REPORT_REFRESH_DEBOUNCE = 2
    others = [OrganisationFactory(commune=commune_b, primary_filiere=cassava),
              OrganisationFactory(commune=commune_c, primary_filiere=poultry)]
    worker_factory()
    for n in range(12):
        organisation = [scene, *others][n % 3]
        organisation_update(user=admin_user, organisation=organisation, members_total=30 + n)
    organisation_update(user=agent_a, organisation=scene, status="dormant")
    wait_for(lambda: not ReportRun.objects.exclude(status="done").exists(), timeout=120)

    national = ReportRun.objects.filter(scope="national")
    assert national.filter(kind="convergence").count() <= 2
    assert national.filter(kind="cooperation").count() <= 2
    for kind in ("convergence", "cooperation"):
        assert _same(latest_done(kind).result, compute.compute_national(kind, YEAR))
        for commune in (commune_a, commune_b, commune_c):
            fresh = compute.compute_for_communes(kind, [commune.pk], YEAR)[commune.pk]
            assert _same(latest_done(kind, commune=commune, year=YEAR).result, fresh)
    nearest = latest_done("convergence", commune=commune_b).result["unmet_needs"][0]["nearest"]
    assert [near["commune"] for near in nearest] == [commune_c.pcode]
