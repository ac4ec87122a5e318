"""Integrity checks over the whole registry: each returns the ids of the rows at fault.

Healthy data gives zero everywhere. `manage.py check_integrity` and the nightly task run
them all; the latest result is stored (IntegrityCheckRun) and shown in the admin."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperatives.models import (
    CooperationLink,
    LegalForm,
    LinkStatus,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    Role,
    RoleAssignment,
    VerificationVisit,
)
from cooperatives.rules import LATITUDE_RANGE, LONGITUDE_RANGE
from core.ids import id_list
from diagnostics.models import DiagnosticEntry, Intervention, TerritorialDiagnostic
from privacy.retention import past_retention_ids
from reports.compute import compute_for_communes
from reports.latest import latest_done_ids
from reports.models import ReportRun

SAMPLE = 20


@dataclass(frozen=True)
class Check:
    code: str
    description: str
    find: Callable[[], list]


def _ids(queryset) -> list:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:SAMPLE + 1])


def organisations_without_commune():
    return _ids(Organisation.objects.filter(commune__isnull=True))


def self_links():
    return _ids(CooperationLink.objects.filter(source=F("target")))


def duplicate_links():
    pairs = (CooperationLink.objects
             .annotate(low=Least("source", "target"), high=Greatest("source", "target"))
             .values("low", "high", "kind").annotate(n=Count("id")).filter(n__gt=1)
             .order_by("low", "high", "kind"))
    return [f"{p['low']}-{p['high']}-{p['kind']}" for p in pairs[:SAMPLE + 1]]


# The registry checks below take an optional commune: None checks the whole registry (the
# nightly run), a commune's id only its rows (the yearly sign-off's checklist).

def _organisations(commune_id: int | None):
    organisations = Organisation.objects.all()
    return organisations if commune_id is None else organisations.filter(commune_id=commune_id)


def confirmed_links_to_dissolved(commune_id: int | None = None):
    dissolved = OrganisationStatus.DISSOLVED
    links = CooperationLink.objects.filter(status=LinkStatus.CONFIRMED).filter(
        Q(source__status=dissolved) | Q(target__status=dissolved))
    if commune_id is not None:
        links = links.filter(Q(source__commune_id=commune_id) | Q(target__commune_id=commune_id))
    return _ids(links)


def active_below_legal_minimum(commune_id: int | None = None):
    return _ids(_organisations(commune_id).active().filter(
        Q(legal_form=LegalForm.SCOOPS, members_total__lt=5)
        | Q(legal_form=LegalForm.COOP_CA, members_total__lt=15)))


def member_counts_above_total(commune_id: int | None = None):
    return _ids(_organisations(commune_id).filter(
        Q(members_women__gt=F("members_total")) | Q(members_youth__gt=F("members_total"))))


def primary_filiere_missing(commune_id: int | None = None):
    has_primary = OrganisationFiliere.objects.filter(
        filiere_id=F("organisation__primary_filiere_id"))
    return _ids(_organisations(commune_id).exclude(
        pk__in=has_primary.values("organisation_id")))


def parent_not_a_union(commune_id: int | None = None):
    return _ids(_organisations(commune_id).filter(parent_union__isnull=False).exclude(
        Q(parent_union__legal_form=LegalForm.UNION)
        | Q(legal_form=LegalForm.UNION, parent_union__legal_form=LegalForm.FEDERATION)))


def phones_not_normalised(commune_id: int | None = None):
    """Contact phones the rules could not read (left as typed by the phone migration)."""
    return _ids(_organisations(commune_id).exclude(contact_phone="").exclude(
        contact_phone__regex=r"^\+237[26][0-9]{8}$"))


def points_outside_cameroon(commune_id: int | None = None):
    (lat_low, lat_high), (lon_low, lon_high) = LATITUDE_RANGE, LONGITUDE_RANGE
    return _ids(_organisations(commune_id).filter(
        Q(latitude__lt=lat_low) | Q(latitude__gt=lat_high)
        | Q(longitude__lt=lon_low) | Q(longitude__gt=lon_high)))


def latest_visit_out_of_step():
    """Organisations whose kept latest verification (day, outcome) is not their latest
    visit's (cooperatives.verification keeps them in step)."""
    latest = (VerificationVisit.objects.filter(organisation=OuterRef("pk"))
              .order_by("-visited_on", "-id"))
    out_of_step = (Q(last_verified_on__isnull=True, visit_day__isnull=False)
                   | Q(last_verified_on__isnull=False, visit_day__isnull=True)
                   | (Q(last_verified_on__isnull=False, visit_day__isnull=False)
                      & ~Q(last_verified_on=F("visit_day")))
                   | ~Q(last_verification_outcome=F("visit_outcome")))
    return _ids(Organisation.objects.annotate(
        visit_day=Subquery(latest.values("visited_on")[:1]),
        visit_outcome=Coalesce(Subquery(latest.values("outcome")[:1]), Value(""))
    ).filter(out_of_step))


def entries_with_unknown_sector():
    return _ids(DiagnosticEntry.objects.filter(sector__isnull=True))


def validated_diagnostics_without_validator():
    """Validated diagnostics with no validation date (the validating user may be unknown for
    a plan validated before the platform, but never the date)."""
    return _ids(TerritorialDiagnostic.objects.validated().filter(validated_at__isnull=True))


def beneficiaries_outside_commune():
    through = Intervention.beneficiaries.through
    return _ids(Intervention.objects.filter(pk__in=through.objects.exclude(
        organisation__commune=F("intervention__commune")).values("intervention_id")))


def roles_without_target():
    return _ids(RoleAssignment.objects.filter(
        Q(role=Role.CTD_AGENT, commune__isnull=True)
        | Q(role=Role.REPRESENTATIVE, organisation__isnull=True)
        | Q(role=Role.ANALYST, ministry__isnull=True)
        | Q(role=Role.DEPARTMENT_REVIEWER, department__isnull=True)
        | Q(role=Role.REGION_REVIEWER, region__isnull=True)
        | Q(user__is_active=False)))


def runs_pending_too_long():
    limit = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    return _ids(ReportRun.objects.filter(
        status__in=[ReportRun.Status.QUEUED, ReportRun.Status.RUNNING], queued_at__lt=limit))


def stored_reports_differ():
    """Latest done commune runs whose stored result differs from a recomputation now.

    Only runs of scopes unchanged since (no newer queued run, no organisation edited after
    the run) are compared, so an out-of-date report is not mistaken for a corrupt one."""
    done = ReportRun.objects.filter(status=ReportRun.Status.DONE, commune__isnull=False)
    latest = sorted(pk for kind, year in done.order_by().values_list("kind", "year").distinct()
                    for pk in latest_done_ids(kind, year).values())
    faults = []
    for run in done.filter(pk__in=id_list(latest)).order_by("pk").iterator(chunk_size=100):
        if Organisation.objects.filter(commune_id=run.commune_id,
                                       updated_at__gt=run.finished_at).exists():
            continue
        fresh = compute_for_communes(run.kind, [run.commune_id], run.year)[run.commune_id]
        if json.dumps(fresh, sort_keys=True, default=str) != json.dumps(
                run.result, sort_keys=True, default=str):
            faults.append(run.pk)
    return faults[:SAMPLE + 1]


CHECKS = [
    Check("organisations_without_commune", _("Organisations without a commune"),
          organisations_without_commune),
    Check("self_links", _("Links from an organisation to itself"), self_links),
    Check("duplicate_links", _("Duplicate links (same pair, same kind)"), duplicate_links),
    Check("confirmed_links_to_dissolved", _("Confirmed links to dissolved organisations"),
          confirmed_links_to_dissolved),
    Check("active_below_legal_minimum", _("Active cooperatives below their legal minimum"),
          active_below_legal_minimum),
    Check("member_counts_above_total", _("Women or under-35 members above the total"),
          member_counts_above_total),
    Check("primary_filiere_missing", _("Organisations whose primary filière is not listed"),
          primary_filiere_missing),
    Check("parent_not_a_union", _("Parent unions that are not unions (or federations)"),
          parent_not_a_union),
    Check("phones_not_normalised", _("Contact phones that are not a Cameroonian number"),
          phones_not_normalised),
    Check("points_outside_cameroon", _("Map points outside Cameroon"), points_outside_cameroon),
    Check("latest_visit_out_of_step",
          _("Organisations whose last verification is not their latest visit"),
          latest_visit_out_of_step),
    Check("entries_with_unknown_sector", _("Diagnostic entries with no sector"),
          entries_with_unknown_sector),
    Check("validated_diagnostics_without_validator",
          _("Validated diagnostics without a validation date"),
          validated_diagnostics_without_validator),
    Check("beneficiaries_outside_commune", _("Interventions reaching organisations of another "
          "commune"), beneficiaries_outside_commune),
    Check("roles_without_target", _("Role assignments to missing objects or inactive users"),
          roles_without_target),
    Check("runs_pending_too_long", _("Report runs pending longer than their time limit"),
          runs_pending_too_long),
    Check("stored_reports_differ", _("Stored commune reports that differ from a recomputation"),
          stored_reports_differ),
    Check("personal_data_past_retention",
          _("Personal data kept past its retention (contacts of organisations dissolved, "
            "bureau members whose mandate ended, longer ago than the retention period)"),
          lambda: past_retention_ids(SAMPLE + 1)),
]


def run_checks() -> dict[str, list]:
    """Every check's faulty ids (at most SAMPLE + 1 each), keyed by check code."""
    return {check.code: check.find() for check in CHECKS}


COMMUNE_CHECKS = ("confirmed_links_to_dissolved", "active_below_legal_minimum",
                  "member_counts_above_total", "primary_filiere_missing", "parent_not_a_union",
                  "phones_not_normalised", "points_outside_cameroon")


def commune_faults(commune_id: int) -> dict[str, int]:
    """The registry checks that belong to one commune, run on its rows only: {code: faulty
    rows (at most SAMPLE + 1)} for the checks that find some. Handed to the yearly sign-off's
    checklist at start-up (`OperationsConfig.ready`), since reports may not import operations."""
    by_code = {check.code: check.find for check in CHECKS}
    found = {code: len(by_code[code](commune_id)) for code in COMMUNE_CHECKS}
    return {code: n for code, n in found.items() if n}
