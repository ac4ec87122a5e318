"""The demo's signed-off year: the sign-off demo commune's previous year walked up the chain by
the demo accounts, through the sign-off services like any user (the agent submits, the
departmental then the regional reviewer approve, the admin closes), so the demo shows a closed
year in the commune's timeline and the report API answers it signed off.

Run by `setup_platform --demo` at every `make run`: a year that already has a sign-off (in
any state) is left alone."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from communes.models import Commune
from cooperatives.models import Role, RoleAssignment
from reports import runs, signoff
from reports.compute import compute_run
from reports.models import ReportRun, YearSignoff

from .demo import DEMO_EMAIL_DOMAIN, default_demo_communes, signoff_demo_commune


def sign_off_demo_year(*, year: int | None = None) -> str:
    """Close the sign-off demo commune's `year` (the previous year by default) with the demo
    accounts; returns what was done, one line for the set-up's output."""
    year = year or timezone.localdate().year - 1
    commune = signoff_demo_commune(default_demo_communes())
    if commune is None:
        return "Demo sign-off: no demo commune."
    if YearSignoff.objects.filter(commune=commune, year=year).exists():
        return f"Demo sign-off: {commune} {year} already has a sign-off, left alone."
    cast = _demo_cast(commune)
    missing = [part for part, user in cast.items() if user is None]
    if missing:
        return f"Demo sign-off: no demo account for {', '.join(missing)} of {commune}."
    _compute_reports(commune, [year - 1, year])
    try:
        with transaction.atomic():
            signoff.year_submit(user=cast["agent"], commune=commune, year=year)
            signoff.year_approve(user=cast["department"], commune=commune, year=year)
            signoff.year_approve(user=cast["region"], commune=commune, year=year)
            signoff.year_close(user=cast["admin"], commune=commune, year=year)
    except ValidationError as error:
        return f"Demo sign-off: {commune} {year} not submitted: {' '.join(error.messages)}"
    return f"Demo sign-off: {commune} {year} submitted, approved and closed."


def _demo_cast(commune: Commune) -> dict:
    """The demo users taking each step for the commune (None where there is none)."""
    demo = RoleAssignment.objects.filter(user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}",
                                         user__is_active=True).select_related("user")
    wanted = {"agent": demo.filter(role=Role.CTD_AGENT, commune=commune),
              "department": demo.filter(role=Role.DEPARTMENT_REVIEWER,
                                        department_id=commune.department_id),
              "region": demo.filter(role=Role.REGION_REVIEWER,
                                    region_id=commune.department.region_id),
              "admin": demo.filter(role=Role.ADMIN, user__is_superuser=True)}
    return {part: getattr(rows.order_by("user__username").first(), "user", None)
            for part, rows in wanted.items()}


def _compute_reports(commune: Commune, years: list[int]) -> None:
    """The commune's two reports of each year, computed now where none is stored: the report
    pages of both years show figures at once, and the timeline sets the closed year's beside
    the year before's (whose linked share and score come from its stored runs)."""
    for year in years:
        for kind in ReportRun.Kind.values:
            if runs.latest_done(kind, commune=commune, year=year) is None:
                run, _send = runs.report_run_request(kind=kind, year=year, commune=commune)
                runs.report_run_execute(run.pk, compute_run)
