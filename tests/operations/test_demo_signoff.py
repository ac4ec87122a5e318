"""The demo's signed-off year: the sign-off demo commune's previous year walked up the chain by
the demo accounts through the sign-off services, once; on a small territory of its own named
like the official one (Babadjou in Bamboutos, Ouest; Mfou in Centre)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from communes.models import Commune
from diagnostics.models import TerritorialDiagnostic
from operations.generator.dataset import generate_dataset
from operations.generator.demo import create_demo_accounts, default_demo_communes
from operations.generator.demo_signoff import sign_off_demo_year
from reports import signoff
from reports.models import FrozenReport, ReportRun, SignoffStep, YearSignoff
from sectors.taxonomy import load_taxonomy

from ..api_helpers import api_client
from ..conftest import client_for
from ..factories import CommuneFactory, DepartmentFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db
LAST = timezone.localdate().year - 1


@pytest.fixture
def territory():
    load_taxonomy()
    for region, department, communes, lat in (
            (("CM002", "Centre"), ("CM002001", "Mefou-et-Afamba"), ["Mfou", "Nkolafamba"], 3.7),
            (("CM008", "Ouest"), ("CM008001", "Bamboutos"), ["Babadjou", "Batcham"], 5.6)):
        department = DepartmentFactory(pcode=department[0], name_fr=department[1],
                                       region=RegionFactory(pcode=region[0], name_fr=region[1]))
        for n, name in enumerate(communes, start=1):
            CommuneFactory(pcode=f"{department.pcode}{n:03d}", name_fr=name,
                           department=department, latitude=lat + n / 10, longitude=10.2)


@pytest.fixture
def babadjou(territory):
    """The tiny dataset (Mfou and Babadjou) and the demo accounts."""
    generate_dataset(scale="tiny", seed=1)
    create_demo_accounts(communes=default_demo_communes())
    return Commune.objects.get(pcode="CM008001001")


def _diagnostic_year(commune) -> int:
    return TerritorialDiagnostic.objects.validated().get(commune=commune).year


def _chain(commune, year):
    return list(SignoffStep.objects.filter(signoff__commune=commune, signoff__year=year)
                .order_by("id").values_list("action", "state", "version", "by__username"))


def test_it_closes_the_year_with_the_demo_accounts_through_every_step(babadjou):
    year = _diagnostic_year(babadjou)  # the generator's validated diagnostic: 2024 or 2025
    assert sign_off_demo_year(year=year) == (
        f"Demo sign-off: Babadjou {year} submitted, approved and closed.")
    assert YearSignoff.objects.get().state == "closed"
    assert _chain(babadjou, year) == [
        ("submit", "submitted", 1, "agent.babadjou"),
        ("approve", "department_approved", 1, "reviewer.bamboutos"),
        ("approve", "approved", 1, "reviewer.ouest"),
        ("close", "closed", 1, "admin")]
    # Both reports of the year and of the year before were computed, and the year's frozen.
    done = {(run.kind, run.year): run.result for run in ReportRun.objects.filter(
        scope="CM008001001", status="done")}
    assert set(done) == {(kind, y) for kind in ("convergence", "cooperation")
                         for y in (year - 1, year)}
    # The frozen copies, computed at the closure on the same registry, equal those runs.
    assert sorted(FrozenReport.objects.values_list("kind", "version", "result")) == [
        ("convergence", 1, done["convergence", year]),
        ("cooperation", 1, done["cooperation", year])]
    # The timeline shows the closed year with its figures beside the year before's.
    rows = {row["year"]: row for row in signoff.timeline(babadjou, current_year=LAST + 1)}
    assert rows[year]["signoff"].state == "closed"
    assert rows[year]["figures"]["organisations"] > 0
    assert rows[year]["previous"]["organisations"] > 0


def test_the_api_answers_the_demo_year_signed_off(babadjou):
    year = _diagnostic_year(babadjou)
    sign_off_demo_year(year=year)
    analyst = api_client(User.objects.get(username="analyst.minader"))
    for kind in ("convergence", "cooperation"):
        answer = analyst.get(reverse(f"api-report-{kind}"),
                             {"commune": "CM008001001", "year": year}).json()
        assert (answer["signed_off"], answer["version"]) == (True, 1)
        assert [(s["action"], s["state"]) for s in answer["approval_chain"]] == [
            ("submit", "submitted"), ("approve", "department_approved"),
            ("approve", "approved"), ("close", "closed")]
    reviewer = User.objects.get(username="reviewer.bamboutos")
    page = client_for(reviewer, "en").get(reverse("reports:signoff_commune",
                                                  args=["CM008001001"]))
    assert page.status_code == 200
    assert f'{year}</a> · <span class="signoff-state signoff-closed">Closed</span>' in (
        page.content.decode())


def test_it_leaves_a_year_that_has_a_sign_off_alone(babadjou):
    year = _diagnostic_year(babadjou)
    sign_off_demo_year(year=year)
    counts = (SignoffStep.objects.count(), ReportRun.objects.count(),
              FrozenReport.objects.count())
    assert sign_off_demo_year(year=year) == (
        f"Demo sign-off: Babadjou {year} already has a sign-off, left alone.")
    assert counts == (SignoffStep.objects.count(), ReportRun.objects.count(),
                      FrozenReport.objects.count())


def test_it_leaves_a_returned_year_returned(babadjou):
    year = _diagnostic_year(babadjou)
    agent, reviewer = (User.objects.get(username=name)
                       for name in ("agent.babadjou", "reviewer.bamboutos"))
    signoff.year_submit(user=agent, commune=babadjou, year=year)
    signoff.year_return(user=reviewer, commune=babadjou, year=year, reason="À revoir")
    assert sign_off_demo_year(year=year) == (
        f"Demo sign-off: Babadjou {year} already has a sign-off, left alone.")
    assert YearSignoff.objects.get().state == "returned"


def test_it_takes_the_previous_year_and_says_why_it_cannot_submit_it(babadjou):
    TerritorialDiagnostic.objects.filter(commune=babadjou).update(status="draft")
    with translation.override("fr"):
        said = sign_off_demo_year()
    assert said == (
        f"Demo sign-off: Babadjou {LAST} not submitted: L'année ne peut pas encore être "
        f"soumise : Diagnostic {LAST} validé.")  # the platform's language, as make run says it
    assert not YearSignoff.objects.exists() and not SignoffStep.objects.exists()


def test_it_needs_every_demo_account_of_the_chain(territory):
    generate_dataset(scale="tiny", seed=1)
    UserFactory(username="admin", email="it@minpmeesa.example")  # a real admin: not the demo's
    assert sign_off_demo_year() == (
        "Demo sign-off: no demo account for agent, department, region, admin of Babadjou.")
    create_demo_accounts(communes=default_demo_communes())
    assert sign_off_demo_year() == "Demo sign-off: no demo account for admin of Babadjou."
    assert not YearSignoff.objects.exists()


def test_the_demo_set_up_signs_the_year_off_once(territory, tmp_path):
    out = StringIO()
    call_command("setup_platform", demo=True, reference_dir=str(tmp_path), stdout=out)
    babadjou = Commune.objects.get(pcode="CM008001001")
    if TerritorialDiagnostic.objects.validated().filter(commune=babadjou, year=LAST).exists():
        first = f"Demo sign-off: Babadjou {LAST} submitted, approved and closed."
        second = f"Demo sign-off: Babadjou {LAST} already has a sign-off, left alone."
    else:  # the generator's diagnostics are of 2024 or 2025: not of every previous year
        first = second = (f"Demo sign-off: Babadjou {LAST} not submitted: The year cannot be "
                          f"submitted yet: Diagnostic of {LAST} validated.")
    assert first in out.getvalue().splitlines()
    steps = SignoffStep.objects.count()
    out = StringIO()
    call_command("setup_platform", demo=True, reference_dir=str(tmp_path), stdout=out)
    assert second in out.getvalue().splitlines()
    assert SignoffStep.objects.count() == steps


def test_the_demo_set_up_computes_every_active_project_territory(
        territory, tmp_path, django_capture_on_commit_callbacks):
    from cooperatives.models import ProjectTerritory
    from reports.models import ReportRun

    with django_capture_on_commit_callbacks(execute=True):  # the runs go at the commit
        call_command("setup_platform", demo=True, reference_dir=str(tmp_path),
                     stdout=StringIO())
    active = set(ProjectTerritory.objects.active().values_list("pk", flat=True))
    assert active and not ProjectTerritory.objects.exclude(status="active").filter(
        pk__in=ReportRun.objects.values("territory"))  # a proposal is not computed
    done = ReportRun.objects.filter(territory__isnull=False, status=ReportRun.Status.DONE)
    assert {(run.territory_id, run.kind) for run in done} == {
        (pk, kind) for pk in active for kind in ReportRun.Kind.values}
