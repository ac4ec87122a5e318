"""CTD agents' registry pages: the commune dashboard, the organisation list and its CSV export,
an organisation's profile, and creating, editing and archiving organisations."""

import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core import csvsafe
from core.forms import add_service_errors, fast_selects
from core.pagination import paginator_class

from . import exports, freshness, services, views_exports, year_notes
from .access import ExportLog, log_organisations
from .consent import CONTACT_FIELDS, contact_hidden_reason, contact_shown, latest_consent
from .filters import OrganisationFilterSet
from .forms import ArchiveForm, LabelForm, OrganisationForm, RegistryEventForm
from .list_rows import organisation_rows, rows_html
from .models import (
    ChangeRequest,
    CooperationLink,
    ExportJob,
    LinkStatus,
    Organisation,
    Reless,
)
from .page_sections import organisation_sections
from .permissions import (
    can_write_commune,
    get_commune_for_user,
    get_organisation_for_user,
    organisations_visible_to,
    scope_of,
)
from .reference_rows import attach
from .scorecards import scorecard_context
from .selectors import organisation_aggregates
from .verification import verification_advice, verification_flag
from .views_common import (
    history_entries,
    mark_link_actions,
    warn_after_save,
    with_change_rows,
)

PAGE_SIZES = (25, 50, 100)
FILTER_LABELS = {
    "commune": gettext_lazy("Commune"), "department": gettext_lazy("Department"),
    "region": gettext_lazy("Region"), "filiere": gettext_lazy("Filière"),
    "ministry": gettext_lazy("Ministry"), "legal_form": gettext_lazy("Legal form"),
    "status": gettext_lazy("Status"), "verified": gettext_lazy("Verification"),
    "q": gettext_lazy("Search a name, acronym, locality or RSC number"),
    "ordering": gettext_lazy("Sort by"),
}
ORDERING_CHOICES = [
    ("name", gettext_lazy("Name, A to Z")), ("-name", gettext_lazy("Name, Z to A")),
    ("-members_total", gettext_lazy("Most members first")),
    ("members_total", gettext_lazy("Fewest members first")),
    ("-created_at", gettext_lazy("Latest registered first")),
    ("created_at", gettext_lazy("First registered first")),
]
# Filters that choose the territory: the commune list takes its commune from the path.
TERRITORY_FILTERS = ("commune", "department", "region")


def awaiting_links(commune, limit: int = 20) -> list[CooperationLink]:
    """The `limit` oldest proposed links that wait for a confirmation from the commune's side
    (an end in the commune that has not confirmed), in either direction.

    Each end is read on its own and the two are joined by a UNION of ids: each side walks the
    (status, end) index from the commune's organisations, where an OR across the two joins
    reads every proposed link of the country."""
    proposed = CooperationLink.objects.filter(status=LinkStatus.PROPOSED).order_by()
    source, target = (proposed.filter(**{f"{end}__commune": commune, f"{end}_confirmed": False})
                      .values_list("created_at", "id") for end in ("source", "target"))
    ids = [pk for _, pk in target.union(source).order_by("created_at", "id")[:limit]]
    links = CooperationLink.objects.filter(pk__in=ids).select_related("source", "target")
    return sorted(links, key=lambda link: (link.created_at, link.pk))


@login_required
@require_safe
def commune_dashboard(request, pcode):
    commune = get_commune_for_user(request.user, pcode, need="write")
    pending = (ChangeRequest.objects.filter(organisation__commune=commune,
                                            status=ChangeRequest.Status.PENDING)
               .select_related("organisation", "requested_by").order_by("created_at", "id"))
    figures = _commune_figures(commune)
    return render(request, "cooperatives/dashboard.html", {
        "commune": commune,
        **figures,
        "total": _sum_rows(figures["by_status"]),
        "reless": Reless.objects.filter(commune=commune).first(),
        "recent": Organisation.history.filter(commune_id=commune.pk)
        .select_related("history_user").order_by("-history_date", "-history_id")[:10],
        "pending": pending[:10],
        "pending_count": pending.count(),
        "awaiting": _with_actions(request.user, awaiting_links(commune)),
        "year_notes": year_notes.year_notes(commune, scope_of(request.user).commune_ids),
        **scorecard_context(commune),
    })


def _commune_figures(commune) -> dict:
    """The dashboard's figures of the commune's organisations: rows by status (all of them),
    by filière and by legal form (the active ones), and the RELESS members.

    Plain rows, cached in the active language until an organisation of the commune (the
    commune's stamp) or the reference data (names) change."""
    def compute() -> dict:
        organisations = Organisation.objects.in_commune(commune)
        active = organisations.active()
        return {
            "by_status": organisation_aggregates(organisations, level="commune", by="status"),
            "by_filiere": sorted(organisation_aggregates(active, level="commune", by="filiere"),
                                 key=lambda row: _plain(row["group_name"])),
            "by_legal_form": organisation_aggregates(active, level="commune", by="legal_form"),
            "reless_members": organisations.filter(reless_member_since__isnull=False).count(),
        }

    return freshness.cached(f"dashboard:figures:v1:{commune.pcode}:{get_language()}",
                            [freshness.commune_stamp_key(commune.pcode)], compute)


def _with_actions(user, links) -> list[CooperationLink]:
    links = list(links)
    for link in links:
        mark_link_actions(user, link)
    return links


def _plain(text: str) -> str:
    """Sort key ignoring accents and case (É sorts with E)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _sum_rows(rows: list[dict]) -> dict:
    keys = ("organisations", "members", "women", "youth", "employees")
    return {k: sum(row[k] for row in rows) for k in keys}


# Organisation list and export ----------------------------------------------------------------

def _organisation_filterset(request, commune=None):
    queryset = organisations_visible_to(request.user)
    if commune is not None:
        queryset = queryset.in_commune(commune)
    data = request.GET.copy()
    if not data.get("ordering") and not data.get("q", "").strip():
        data["ordering"] = "name"  # a search without an ordering is ranked (filters.py)
    filterset = OrganisationFilterSet(data, queryset=queryset, request=request)
    fields = filterset.form.fields
    if commune is not None:
        for name in TERRITORY_FILTERS:
            fields.pop(name, None)
    # The shared filters' labels speak to API users (codes, parameter names): say it plainly.
    for name, label in FILTER_LABELS.items():
        if name in fields:
            fields[name].label = label
    fields["ordering"].choices = ORDERING_CHOICES
    if not data.get("ordering"):  # a search, ranked (filters.py)
        fields["ordering"].empty_label = _("Best match first")
    fast_selects(filterset.form,
                 cache_many=lambda computes: freshness.cached_many(computes, []))
    return filterset


@login_required
@require_safe
def organisation_list(request, pcode=None):
    """The organisations of a commune (or, without one, of every commune the user works in),
    filtered and sorted with the API's filters; `?format=csv` exports the whole filtered list.
    """
    scope = scope_of(request.user)
    if pcode is None and not (scope.is_admin or scope.is_agent):
        raise Http404
    commune = get_commune_for_user(request.user, pcode, need="write") if pcode else None
    filterset = _organisation_filterset(request, commune)
    organisations = filterset.qs
    if request.GET.get("format") == "csv":
        total = filterset.qs.count()
        if views_exports.needs_job(total):
            return views_exports.start_job(
                request, kind=ExportJob.Kind.LIST, fmt="csv", total=total, pcode=pcode or "",
                download_name=f"organisations-{commune.pcode}" if commune else "organisations")
        return _csv_response(filterset.qs, commune,
                             ExportLog(request.user, request.get_full_path()))
    per_page = _per_page(request)
    page = paginator_class(request.GET)(organisations, per_page).get_page(request.GET.get("page"))
    attach(page)  # their communes and primary filières (cooperatives.reference_rows)
    query = request.GET.copy()
    query.pop("page", None)
    rows = organisation_rows(page)
    return render(request, "cooperatives/organisation_list.html", {
        "commune": commune, "filterset": filterset, "page": page, "per_page": per_page,
        "rows": rows, "rows_html": rows_html(rows, with_commune=commune is None),
        "page_sizes": PAGE_SIZES, "query": query.urlencode(),
        "filtered": any(request.GET.get(name) for name in filterset.form.fields),
        "can_create": commune is not None and can_write_commune(request.user, commune.pk),
    })


def _per_page(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[1]))
    except ValueError:
        return PAGE_SIZES[1]
    return size if size in PAGE_SIZES else PAGE_SIZES[1]


def _csv_response(organisations, commune, log: ExportLog) -> StreamingHttpResponse:
    """Streams every row of the filtered list, filières included (exports.registry_list_rows:
    rows read with `.values()`)."""
    writer = csvsafe.writer()

    def lines():
        for row in exports.registry_list_rows(organisations, log):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"organisations-{commune.pcode}.csv" if commune else "organisations.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# One organisation ------------------------------------------------------------------------------

@login_required
@require_safe
def organisation_detail(request, pk):
    organisation = get_organisation_for_user(request.user, pk)
    links = _with_actions(request.user, CooperationLink.objects.filter(
        Q(source=organisation) | Q(target=organisation))
        .select_related("source__commune", "target__commune"))
    scope = scope_of(request.user)
    can_write = can_write_commune(request.user, organisation.commune_id)
    is_representative = organisation.pk in scope.organisation_ids
    hidden = () if contact_shown(organisation) else CONTACT_FIELDS
    log_organisations(request, [organisation])
    return render(request, "cooperatives/organisation_detail.html", {
        "organisation": organisation,
        "filieres": organisation.filieres.all(),
        "events": organisation.events.all(),
        "labels": organisation.labels.all(),
        "links": links,
        "change_requests": with_change_rows(
            organisation.change_requests.select_related("requested_by", "reviewer")[:20]),
        "history": history_entries(organisation.history.all(), exclude=hidden),
        "can_write": can_write,
        "is_representative": is_representative,
        "contact_reason": contact_hidden_reason(organisation, latest_consent(organisation))
        if not contact_shown(organisation) else "",
        "can_consent": can_write or is_representative,
        "sections": organisation_sections(request.user, organisation),
        **_verification_context(organisation),
    })


def _verification_context(organisation: Organisation) -> dict:
    visits = list(organisation.verifications.select_related("visited_by")[:10])
    return {"visits": visits, "verification_flag": verification_flag(organisation),
            "verification_advice": verification_advice(organisation,
                                                       visits[0] if visits else None)}


@login_required
def organisation_create(request, pcode):
    commune = get_commune_for_user(request.user, pcode, need="write")
    form = OrganisationForm(request.POST or None, instance=Organisation(commune=commune))
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(
                user=request.user, commune=commune, filieres=form.cleaned_data["filieres"],
                consent=form.consent(), **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The organisation is registered."))
            warn_after_save(request, organisation)
            return redirect("organisation_detail", pk=organisation.pk)
    return render(request, "cooperatives/organisation_form.html",
                  {"form": form, "commune": commune, "organisation": None})


@login_required
def organisation_edit(request, pk):
    organisation = get_organisation_for_user(request.user, pk, write=True)
    saved_name = organisation.name  # the form writes what was typed onto the instance
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                user=request.user, organisation=organisation,
                filieres=form.cleaned_data["filieres"], consent=form.consent(),
                **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The changes are saved."))
            warn_after_save(request, organisation)
            return redirect("organisation_detail", pk=organisation.pk)
    log_organisations(request, [organisation])
    return render(request, "cooperatives/organisation_form.html", {
        "form": form, "commune": organisation.commune, "organisation": organisation,
        "saved_name": saved_name})


@login_required
def organisation_archive(request, pk):
    """Mark an organisation dormant or dissolved (a dissolution is also a registry event)."""
    return _organisation_action(
        request, pk, ArchiveForm, services.organisation_archive,
        _("The organisation is archived."), _("Archive %(name)s"), _("Archive"),
        _("Organisations are never deleted: an archived organisation stays in the registry "
          "with its history."))


@login_required
def registry_event_create(request, pk):
    return _organisation_action(
        request, pk, RegistryEventForm, services.registry_event_add,
        _("The registry event is recorded."), _("New registry event for %(name)s"),
        _("Record"), _("A dated entry of the RSC: registration, modification or dissolution."),
        offline_kind="registry_event.add")


@login_required
def label_create(request, pk):
    return _organisation_action(
        request, pk, LabelForm, services.label_add, _("The label is recorded."),
        _("New label or certification for %(name)s"), _("Record"),
        _("A label, certification, geographical indication or collective mark the "
          "organisation holds."))


def _organisation_action(request, pk, form_class, service, done: str, title: str,
                         submit: str, intro: str, offline_kind: str = ""):
    """A small form about one organisation its writers fill in: the service records it (its
    refusals shown on the form), then back to the organisation's page."""
    organisation = get_organisation_for_user(request.user, pk, write=True)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(user=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("organisation_detail", pk=organisation.pk)
    return _simple_form(request, form, organisation, title, submit, intro, offline_kind)


def _simple_form(request, form, organisation, title, submit, intro="", offline_kind=""):
    """`offline_kind`: the form may be queued offline (templates/cooperatives/simple_form)."""
    return render(request, "cooperatives/simple_form.html", {
        "form": form, "title": title % {"name": organisation.name}, "submit": submit,
        "intro": intro, "back": reverse("organisation_detail", args=[organisation.pk]),
        "offline_kind": offline_kind, "offline_target": organisation.pk,
        "offline_commune": organisation.commune.pcode,
    })
