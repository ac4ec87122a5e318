"""Every HTML page a user reaches, with real objects of the national dataset, for P7's weights.

The URLconf is walked (as the page sweep of the tests does) so a new page cannot be forgotten:
each route that answers HTML to a GET gets its arguments from the benchmark's commune (the
largest) and its objects, and the account that would open it (public, CTD agent, analyst).
Routes that only act (POST), download files or need a one-time link are listed in SKIPPED with
the reason.
"""

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from cooperatives.models import (
    BureauMember,
    ChangeRequest,
    CooperationLink,
    Organisation,
    ProjectTerritory,
)
from diagnostics.models import Intervention, TerritorialDiagnostic
from diagnostics.services import diagnostic_copy_to_year
from support.models import Enrolment, Programme

# Routes that are not pages to weigh: actions (POST only), downloads, one-time links.
SKIPPED = {
    "organisation_consent_withdraw": "action", "privacy:request_act": "action",
    "set_language": "action", "logout": "action", "password_reset_confirm": "one-time link",
    "reports:recompute_national": "action", "reports:recompute_commune": "action",
    "diagnostic_validate": "action", "diagnostic_copy": "action",
    "diagnostic_import_template": "download", "link_confirm": "action", "link_refuse": "action",
    "link_end": "action", "quality:import_errors": "download",
    "quality:import_confirm": "action", "quality:import_template": "download",
    "quality:export_organisations": "download", "quality:export_report": "download",
    "quality:duplicate_merge": "action", "quality:duplicate_dismiss": "action",
    "quality:open_data_csv": "download", "quality:open_data_jsonld": "download",
    "reports:open_data_year_csv": "download",
    "diagnostic_row_delete": "confirmation of a deletion", "organisation_archive": "action",
    "change_request_review": "action", "reports:signoff_step": "action",
    "quality:import_detail": "needs an import job",
    "quality:export_job": "needs an export job", "quality:export_job_download": "download",
    "my_space": "redirects to the role's landing page",
    "notification_read": "action", "notifications_read_all": "action",
    "reports:opportunity_propose": "action",
    "territory_confirm": "action", "reports:territory_recompute": "action",
    "quality:open_data_ilo_csv": "download",
    "api-docs-try": "developer tool (Swagger UI, about 530 KB), linked from the API reference",
}
PUBLIC = {"home", "login", "password_reset", "password_reset_done", "password_reset_complete",
          "commune_public", "reports:map", "quality:open_data", "reports:open_data_years",
          "api-docs"}
NATIONAL = {"reports:convergence_national", "reports:cooperation_national",
            "quality:scorecards", "ministry_interventions", "intervention_start"}
ADMIN = {"organisation_list_all", "quality:import_list",  # the national lists and pages
         "quality:duplicates_national", "integrity", "report_runs",
         "programme_edit"}  # a programme the commune's agent may not own (a ministry's)
REPRESENTATIVE = {"change_propose", "our_space", "my_suggestions", "my_requests"}


def _routes(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("admin/"):
                continue
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern),
                               inner if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern)


def html_routes() -> list[tuple[str, str]]:
    """(name, pattern) of every page route: not the API's JSON, not the Django admin."""
    return [(name, route) for name, route in _routes(get_resolver().url_patterns)
            if name not in SKIPPED and (not route.startswith("api/") or name == "api-docs")]


def ensure_draft_diagnostic(commune, user) -> None:
    """The diagnostic forms are weighed on a draft: when the commune has none, the benchmark
    starts next year's as a copy of its latest diagnostic (as an agent would; no report reads
    drafts)."""
    diagnostics = TerritorialDiagnostic.objects.filter(commune=commune)
    latest = diagnostics.order_by("-year", "-pk").first()
    if latest is None or diagnostics.filter(status=TerritorialDiagnostic.Status.DRAFT).exists():
        return
    free = max(diagnostics.values_list("year", flat=True)) + 1
    diagnostic_copy_to_year(user=user, diagnostic=latest, year=free)


def catalogue(commune) -> list[tuple[str, str, str]]:
    """(route name, path, who) of every page with the commune's real objects."""
    # The representative's organisation: the commune's first (see runner._accounts).
    organisation = Organisation.objects.filter(commune=commune).order_by("pk").first()
    link = (CooperationLink.objects.filter(source__commune=commune).order_by("pk").first())
    diagnostics = TerritorialDiagnostic.objects.filter(commune=commune).order_by("-year", "-pk")
    diagnostic = diagnostics.first()
    draft = diagnostics.filter(status=TerritorialDiagnostic.Status.DRAFT).first()
    intervention = Intervention.objects.filter(commune=commune).order_by("pk").first()
    request = ChangeRequest.objects.filter(organisation__commune=commune).order_by("pk").first()
    bureau = BureauMember.objects.filter(reless__commune=commune).order_by("pk").first()
    entry = draft.entries.order_by("pk").first() if draft else None
    # The commune's own programme (its agent edits it), else any covering it.
    covering = Programme.objects.filter(communes=commune).order_by("pk")
    programme = covering.filter(owner_commune=commune).first() or covering.first()
    enrolment = Enrolment.objects.filter(organisation__commune=commune).order_by("pk").first()
    territory = (ProjectTerritory.objects.active().with_member([commune.pk]).order_by("pk")
                 .first())
    values = {"pcode": commune.pcode, "kind": "convergence", "acronym": (
        intervention.ministry.acronym if intervention else "MINADER")}
    if territory is not None:
        values["code"] = territory.code
    # The object a route's <int:pk> names, by a fragment of its pattern (first match wins).
    # A validated diagnostic is read-only: its forms are weighed on a draft.
    by_route = {"diagnostic_detail": diagnostic, "diagnostic": draft,
                "intervention": intervention,
                "organisation": organisation, "change-requests/<int": request,
                "links/<int": link, "bureau": bureau, "support/programmes/<int": programme,
                "support/enrolments/<int": enrolment}
    pages = []
    for name, route in html_routes():
        path = route
        for key, value in values.items():
            path = path.replace(f"<str:{key}>", value).replace(f"<report_kind:{key}>", value)
        if "code" in values:  # a project territory's pages: one the commune is a member of
            path = path.replace("<slug:code>", values["code"])
        if "<int:pk>" in path:
            found = next((obj for marker, obj in by_route.items()
                          if marker == name or marker in route), None)
            if found is None:
                continue  # the dataset holds no such object for this commune
            path = path.replace("<int:pk>", str(found.pk))
        if "<slug:kind>" in path:
            path = path.replace("<slug:kind>", "entries")
        if "<slug:slug>" in path:  # the offline forms: the one a field day uses most
            path = path.replace("<slug:slug>", "organisation-edit")
        if "<int:year>" in path:  # the year a commune signs off: the last complete one
            path = path.replace("<int:year>", str(timezone.now().year - 1))
        if "<int:row_pk>" in path:
            if entry is None:
                continue
            path = path.replace("<int:row_pk>", str(entry.pk))
        if "<" in path or "(?P" in path:
            continue
        who = ("public" if name in PUBLIC else "analyst" if name in NATIONAL else
               "admin" if name in ADMIN else "representative" if name in REPRESENTATIVE
               else "agent")
        pages.append((name, "/" + path, who))
    return pages
