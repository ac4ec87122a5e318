"""Pages for territorial diagnostics and ministries' interventions.

Views are thin: fetch through the 404-answering helpers, validate with a form, call a service
or a selector, render. Every page needs a login; outsiders get 404.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Model
from django.forms import BaseForm
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communes.models import Commune
from communes.search import CommunePick
from cooperatives.permissions import can_write_commune, get_commune_for_user, scope_of
from cooperatives.selectors_public import commune_names, pick_commune_by_name
from core.forms import add_service_errors

from . import imports, services
from .access import log_actors
from .filters import InterventionFilter
from .forms import (
    ActorForm,
    CopyForm,
    DiagnosticCreateForm,
    DiagnosticForm,
    EntryForm,
    ImportForm,
    InterventionForm,
    ProjectIdeaForm,
    ResourceForm,
)
from .models import (
    DiagnosticActor,
    DiagnosticEntry,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)
from .permissions import (
    can_record_intervention,
    diagnostics_visible_to,
    get_diagnostic_for_user,
    get_intervention_for_user,
    get_ministry_for_reader,
    interventions_visible_to,
    ministries_recordable_by,
    shows_people,
)
from .selectors import (
    diagnostic_history,
    diagnostic_rows,
    intervention_history,
    interventions_for_list,
    needs_by_sector,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class RowKind:
    model: type[Model]
    form: type[BaseForm]
    add_title: str
    edit_title: str


ROW_KINDS = {
    "entries": RowKind(DiagnosticEntry, EntryForm, gettext_lazy("Add a need"),
                       gettext_lazy("Edit the need")),
    "ideas": RowKind(ProjectIdea, ProjectIdeaForm, gettext_lazy("Add a project idea"),
                     gettext_lazy("Edit the project idea")),
    "actors": RowKind(DiagnosticActor, ActorForm, gettext_lazy("Add an actor"),
                      gettext_lazy("Edit the actor")),
    "resources": RowKind(TerritorialResource, ResourceForm,
                         gettext_lazy("Add a territorial resource"),
                         gettext_lazy("Edit the territorial resource")),
}


def _attempt(form: BaseForm, function, **kwargs):
    """Call a service; a broken rule shows on the form. Returns (succeeded, result)."""
    try:
        return True, function(**kwargs)
    except ValidationError as error:
        add_service_errors(form, error)
        return False, None


def _refuse_if_validated(request, diagnostic: TerritorialDiagnostic):
    """A redirect to the diagnostic with the reason, when it can no longer be changed."""
    if diagnostic.is_editable:
        return None
    messages.error(request, services.EDIT_REFUSED)
    return redirect("diagnostic_detail", pk=diagnostic.pk)


def _row_kind(kind: str) -> RowKind:
    try:
        return ROW_KINDS[kind]
    except KeyError:
        raise Http404 from None


# ---- diagnostics


@login_required
def diagnostic_list(request, pcode):
    """A commune's diagnostics (drafts for its CTD agents), and the form to start one."""
    commune = get_commune_for_user(request.user, pcode, need="reports")
    diagnostics = (diagnostics_visible_to(request.user).filter(commune=commune)
                   .annotate(entry_count=Count("entries")).order_by("-year", "-id"))
    can_write = can_write_commune(request.user, commune.pk)
    return render(request, "diagnostics/diagnostic_list.html", {
        "commune": commune, "diagnostics": diagnostics, "can_write": can_write})


def _create_initial(commune: Commune) -> dict:
    existing = TerritorialDiagnostic.objects.filter(commune=commune)
    last = existing.order_by("-year", "-id").first()
    if last is None:
        return {"year": timezone.localdate().year}
    return {"year": existing.aggregate(m=Max("year"))["m"] + 1, "copy_from": last.pk,
            "source": last.source}


@login_required
def diagnostic_create(request, pcode):
    """Start a draft, empty or as a copy of an earlier diagnostic of the commune."""
    commune = get_commune_for_user(request.user, pcode, need="write")
    form = DiagnosticCreateForm(request.POST or None, commune=commune,
                                initial=_create_initial(commune))
    if request.method == "POST" and form.is_valid():
        data, user = form.cleaned_data, request.user
        if data["copy_from"]:
            ok, diagnostic = _attempt(form, services.diagnostic_copy_to_year, user=user,
                                      diagnostic=data["copy_from"], year=data["year"],
                                      source=data["source"])
        else:
            ok, diagnostic = _attempt(form, services.diagnostic_create, user=user,
                                      commune=commune, year=data["year"], source=data["source"])
        if ok:
            messages.success(request, _("Draft diagnostic created."))
            return redirect("diagnostic_detail", pk=diagnostic.pk)
    return render(request, "diagnostics/diagnostic_form.html", {"commune": commune,
                                                                 "form": form})


@login_required
def diagnostic_detail(request, pk):
    """Needs by sector beside the commune's matching organisations; rows; history.
    `?print=1` gives the layout for the council meeting."""
    diagnostic = get_diagnostic_for_user(request.user, pk)
    printing = bool(request.GET.get("print"))
    show_people = shows_people(request.user)
    can_write = can_write_commune(request.user, diagnostic.commune_id)
    context = {
        "diagnostic": diagnostic, "commune": diagnostic.commune, "printing": printing,
        "groups": needs_by_sector(diagnostic), **diagnostic_rows(diagnostic, show_people),
        "can_write": can_write, "can_edit": can_write and diagnostic.is_editable,
        "history": [] if printing else diagnostic_history(diagnostic, show_people=show_people),
        "copy_form": CopyForm(initial={"year": diagnostic.year + 1}),
        "edit_refused": services.EDIT_REFUSED,
    }
    log_actors(request, diagnostic, context["actors"])
    template = "diagnostic_print.html" if printing else "diagnostic_detail.html"
    return render(request, f"diagnostics/{template}", context)


@login_required
def diagnostic_edit(request, pk):
    """Change a draft's year or source."""
    diagnostic = get_diagnostic_for_user(request.user, pk, write=True)
    if request.method == "GET" and (refused := _refuse_if_validated(request, diagnostic)):
        return refused
    form = DiagnosticForm(request.POST or None, instance=diagnostic)
    if request.method == "POST" and form.is_valid():
        ok, _result = _attempt(form, services.diagnostic_update, user=request.user,
                               diagnostic=diagnostic, **form.cleaned_data)
        if ok:
            return redirect("diagnostic_detail", pk=diagnostic.pk)
    return render(request, "diagnostics/diagnostic_form.html", {
        "commune": diagnostic.commune, "diagnostic": diagnostic, "form": form})


@login_required
@require_POST
def diagnostic_validate(request, pk):
    """A CTD agent validates the draft: it then feeds the reports and is frozen."""
    diagnostic = get_diagnostic_for_user(request.user, pk, write=True)
    try:
        services.diagnostic_validate(user=request.user, diagnostic=diagnostic)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Diagnostic validated."))
    return redirect("diagnostic_detail", pk=diagnostic.pk)


@login_required
@require_POST
def diagnostic_copy(request, pk):
    """Start another year's draft from this diagnostic."""
    diagnostic = get_diagnostic_for_user(request.user, pk, write=True)
    form = CopyForm(request.POST)
    if form.is_valid():
        ok, copy = _attempt(form, services.diagnostic_copy_to_year, user=request.user,
                            diagnostic=diagnostic, year=form.cleaned_data["year"])
        if ok:
            messages.success(request, _("Draft diagnostic created."))
            return redirect("diagnostic_detail", pk=copy.pk)
    for message in (m for errors in form.errors.values() for m in errors):
        messages.error(request, message)
    return redirect("diagnostic_detail", pk=diagnostic.pk)


@login_required
def row_add(request, pk, kind):
    """Add a need, project idea, actor or resource to a draft."""
    row_kind = _row_kind(kind)
    diagnostic = get_diagnostic_for_user(request.user, pk, write=True)
    if request.method == "GET" and (refused := _refuse_if_validated(request, diagnostic)):
        return refused
    form = row_kind.form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, _row = _attempt(form, services.diagnostic_row_add, user=request.user,
                            diagnostic=diagnostic, model=row_kind.model, **form.cleaned_data)
        if ok:
            messages.success(request, _("Saved."))
            return redirect(_detail_anchor(diagnostic, kind))
    return render(request, "diagnostics/row_form.html", {
        "diagnostic": diagnostic, "form": form, "row_kind": row_kind, "kind": kind})


@login_required
def row_edit(request, pk, kind, row_pk):
    """Change a row of a draft."""
    row_kind = _row_kind(kind)
    diagnostic = get_diagnostic_for_user(request.user, pk, write=True)
    row = get_object_or_404(row_kind.model, pk=row_pk, diagnostic=diagnostic)
    if request.method == "GET" and (refused := _refuse_if_validated(request, diagnostic)):
        return refused
    form = row_kind.form(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        ok, _row = _attempt(form, services.diagnostic_row_update, user=request.user, row=row,
                            **form.cleaned_data)
        if ok:
            messages.success(request, _("Saved."))
            return redirect(_detail_anchor(diagnostic, kind))
    return render(request, "diagnostics/row_form.html", {
        "diagnostic": diagnostic, "form": form, "row_kind": row_kind, "kind": kind, "row": row})


@login_required
def row_delete(request, pk, kind, row_pk):
    """Confirm (GET), then remove (POST) a row of a draft."""
    row_kind = _row_kind(kind)
    diagnostic = get_diagnostic_for_user(request.user, pk, write=True)
    row = get_object_or_404(row_kind.model, pk=row_pk, diagnostic=diagnostic)
    if refused := _refuse_if_validated(request, diagnostic):
        return refused
    if request.method == "POST":
        try:
            services.diagnostic_row_delete(user=request.user, row=row)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Deleted."))
        return redirect(_detail_anchor(diagnostic, kind))
    return render(request, "diagnostics/row_delete.html", {
        "diagnostic": diagnostic, "row": row, "row_kind": row_kind})


def _detail_anchor(diagnostic: TerritorialDiagnostic, kind: str) -> str:
    return reverse("diagnostic_detail", args=[diagnostic.pk]) + f"#{kind}"


@login_required
def diagnostic_import(request, pk):
    """Check (dry run) or import a grid file into a draft."""
    diagnostic = get_diagnostic_for_user(request.user, pk, write=True)
    if request.method == "GET" and (refused := _refuse_if_validated(request, diagnostic)):
        return refused
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        ok, result = _attempt(form, imports.import_grid, user=request.user,
                              diagnostic=diagnostic, content=upload.read(), filename=upload.name,
                              dry_run=request.POST.get("action") != "import")
        if ok and result.created:
            messages.success(request, _("%(n)s needs imported.") % {"n": result.created})
            return redirect(_detail_anchor(diagnostic, "entries"))
    return render(request, "diagnostics/import.html", {
        "diagnostic": diagnostic, "form": form, "result": result})


@login_required
def import_template(request, fmt):
    """The empty grid to fill in, as CSV or XLSX."""
    if fmt == "csv":
        response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(imports.template_xlsx(), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="grille_diagnostic.{fmt}"'
    return response


# ---- interventions


def _intervention_page(request, queryset, *, params=None, pick: CommunePick | None = None):
    """The filtered list, a page of it and the query of its pager; a commune typed by name
    that did not resolve to one commune (`pick`) shows no row (its choices are shown)."""
    params = params if params is not None else request.GET.copy()
    filterset = InterventionFilter(params, queryset=queryset)
    valid = filterset.is_valid() and pick is None
    rows = interventions_for_list(filterset.qs if valid else queryset.none())
    query = params.copy()
    query.pop("page", None)
    return filterset, Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")), {
        "query": query.urlencode(), "pick": pick, "pick_query": _without(params, "commune"),
        "commune_names": commune_names,  # called by the template where it shows the box
        "commune_shown": _commune_shown(filterset, pick)}


def _named_commune(request) -> tuple[QueryDict, CommunePick | None]:
    """The GET parameters with a commune typed by name (`commune_name`) resolved to its
    P-code (`commune`), and the pick when the name gave several communes or none."""
    params = request.GET.copy()
    text = params.pop("commune_name", [""])[-1].strip()[:100]
    if not text or params.get("commune"):
        return params, None
    pick = pick_commune_by_name(text)
    if pick.chosen:
        params["commune"] = pick.chosen.pcode
        return params, None
    return params, pick


def _without(params: QueryDict, *names: str) -> str:
    """The parameters as a query string without these names and the page, ending with '&'
    when not empty (a link then appends its own parameter)."""
    rest = params.copy()
    for name in (*names, "page"):
        rest.pop(name, None)
    return rest.urlencode() + "&" if rest else ""


def _commune_shown(filterset, pick: CommunePick | None) -> str:
    """What the commune box shows: the name typed, or the chosen commune's name."""
    if pick is not None:
        return pick.text
    chosen = filterset.form.cleaned_data.get("commune") if filterset.is_valid() else None
    return chosen.name if chosen else filterset.data.get("commune", "")


@login_required
def commune_interventions(request, pcode):
    """The interventions of every ministry in a commune."""
    commune = get_commune_for_user(request.user, pcode, need="reports")
    visible = interventions_visible_to(request.user).filter(commune=commune)
    filterset, page, extra = _intervention_page(request, visible)
    return render(request, "diagnostics/intervention_list.html", {
        "commune": commune, "filterset": filterset, "page": page, **extra,
        "can_record": scope_of(request.user).may("record", commune.pk)})


@login_required
def ministry_interventions(request, acronym):
    """One ministry's interventions in every commune (admins and analysts); the commune
    filter takes a name (`commune_name`) or, from a pick list, a P-code (`commune`)."""
    ministry = get_ministry_for_reader(request.user, acronym)
    visible = interventions_visible_to(request.user).filter(ministry=ministry)
    params, pick = _named_commune(request)
    filterset, page, extra = _intervention_page(request, visible, params=params, pick=pick)
    scope = scope_of(request.user)
    return render(request, "diagnostics/intervention_list.html", {
        "ministry": ministry, "filterset": filterset, "page": page, **extra,
        "can_record": scope.is_admin or ministry.pk in scope.ministry_ids})


@login_required
def intervention_start(request):
    """Choose the commune of a new intervention by its name (`commune_name`); a pick list
    sends its P-code (`commune`)."""
    scope = scope_of(request.user)
    if not (scope.is_admin or scope.is_analyst or scope.is_agent):
        raise Http404
    params, pick = _named_commune(request)
    pcode = params.get("commune", "")
    ministry = request.GET.get("ministry", "")
    if pcode and Commune.objects.filter(pcode=pcode).exists():
        target = reverse("intervention_create", args=[pcode])
        return redirect(f"{target}?ministry={ministry}" if ministry.isalnum() else target)
    return render(request, "diagnostics/intervention_start.html", {
        "pick": pick, "pick_query": _without(params, "commune"), "ministry": ministry,
        "commune_names": commune_names()})


@login_required
def intervention_create(request, pcode):
    """Record an intervention in the commune (the service refuses other ministries: 403)."""
    commune = get_commune_for_user(request.user, pcode, need="record")
    ministries = ministries_recordable_by(request.user, commune.pk)
    initial = {"ministry": ministries.filter(acronym=request.GET.get("ministry", "")).first()}
    form = InterventionForm(request.POST or None, commune=commune, ministries=ministries,
                            initial=initial if initial["ministry"] else None)
    if request.method == "POST" and form.is_valid():
        ok, intervention = _attempt(form, services.intervention_record, user=request.user,
                                    commune=commune, **form.cleaned_data)
        if ok:
            messages.success(request, _("Intervention recorded."))
            return redirect("intervention_detail", pk=intervention.pk)
    return render(request, "diagnostics/intervention_form.html", {"commune": commune,
                                                                   "form": form})


@login_required
def intervention_detail(request, pk):
    """An intervention, its beneficiaries and its history."""
    intervention = get_intervention_for_user(request.user, pk)
    user = request.user
    return render(request, "diagnostics/intervention_detail.html", {
        "intervention": intervention,
        "beneficiaries": intervention.beneficiaries.order_by("name", "id").only("id", "name"),
        "history": intervention_history(intervention, show_people=shows_people(user)),
        "can_edit": can_record_intervention(user, intervention.commune_id,
                                            intervention.ministry_id)})


@login_required
def intervention_edit(request, pk):
    """Change an intervention (not its commune)."""
    intervention = get_intervention_for_user(request.user, pk, write=True)
    commune = intervention.commune
    form = InterventionForm(request.POST or None, instance=intervention, commune=commune,
                            ministries=ministries_recordable_by(request.user, commune.pk))
    if request.method == "POST" and form.is_valid():
        ok, _result = _attempt(form, services.intervention_update, user=request.user,
                               intervention=intervention, **form.cleaned_data)
        if ok:
            messages.success(request, _("Saved."))
            return redirect("intervention_detail", pk=intervention.pk)
    return render(request, "diagnostics/intervention_form.html", {
        "commune": commune, "form": form, "intervention": intervention})
