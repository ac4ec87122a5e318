"""The report pages: a commune's convergence and cooperation reports, the national matrix,
table and map, the recompute buttons and the report exports. Pages read stored runs (reads)
shaped by one presenter per report; a recompute enqueues a run (reports.tasks) and redirects
back with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cooperatives.exports import export_name, table_response
from cooperatives.permissions import can_write_commune, get_commune_for_user
from core.years import parse_year, year_message

from .convergence_presenter import (
    FIGURE_MEANINGS,
    convergence_page,
    national_convergence_page,
    state_legend,
)
from .convergence_presenter import SORTS as CONVERGENCE_SORTS
from .cooperation_presenter import SORTS as COOPERATION_SORTS
from .cooperation_presenter import cooperation_page, national_cooperation_page
from .exports import report_table
from .maps import map_page
from .models import ReportRun
from .opportunities import link_names
from .reads import reads_country, recomputes_country, run_state
from .shaping import NO_SORT, Sort
from .tasks import request_national_recompute, request_report
from .territory import territory

CONVERGENCE, COOPERATION = ReportRun.Kind.CONVERGENCE.value, ReportRun.Kind.COOPERATION.value
SHAPERS = {CONVERGENCE: convergence_page, COOPERATION: cooperation_page}


def shown_year(request) -> int | None:
    """The ?year= of a report page: a bad one is named in a message and the latest run shown."""
    try:
        return parse_year(request.GET.get("year"))
    except ValidationError as error:
        messages.error(request, year_message(error))
        return None


def queued_year(request) -> int | None:
    """The year a recompute asks for (this year when none is given); None, with a message,
    when it is not a year."""
    try:
        return parse_year(request.POST.get("year"), default=timezone.localdate().year)
    except ValidationError as error:
        messages.error(request, year_message(error))
        return None


def _commune_page(request, kind: str, pcode: str):
    commune = get_commune_for_user(request.user, pcode, need="reports")
    state = run_state(kind, commune=commune, year=shown_year(request))
    report = SHAPERS[kind](state.run.result or {}) if state.run else None
    return render(request, f"reports/{kind}_commune.html", {
        "commune": commune, "kind": kind, "state": state, "legend": state_legend(),
        "figure_meanings": FIGURE_MEANINGS,
        "reads_country": reads_country(request.user), "report": report,
        "can_recompute": can_write_commune(request.user, commune.pk),
        "recompute_url": reverse("reports:recompute_commune", args=[kind, commune.pcode]),
        "openable": link_names(request.user, report) if report else set(),
    })


@require_safe
def convergence_commune(request, pcode):
    """Where ministries, needs and organisations meet in one commune."""
    return _commune_page(request, CONVERGENCE, pcode)


@require_safe
def cooperation_commune(request, pcode):
    """Which organisations of one commune work together, and which could."""
    return _commune_page(request, COOPERATION, pcode)


def _national_context(request, kind: str) -> dict:
    return {
        "kind": kind, "reads_country": reads_country(request.user),
        "state": run_state(kind, year=shown_year(request)),
        "can_recompute": recomputes_country(request.user),
        "recompute_url": reverse("reports:recompute_national", args=[kind]),
    }


def _sorting(request, columns: tuple[str, ...]) -> tuple[Sort | None, dict[str, str]]:
    """The table's `?sort=` (bad values ignored) and each sortable header's query string,
    keeping the other parameters (region, department, year)."""
    sort = Sort.parse(request.GET.get("sort"), columns)
    links = {}
    for column in columns:
        query = request.GET.copy()
        query["sort"] = (sort or NO_SORT).link(column)
        links[column] = query.urlencode()
    return sort, links


def _national_page(request, kind: str, present, columns: tuple[str, ...], **extra):
    if not reads_country(request.user):
        raise Http404
    context = _national_context(request, kind)
    place = territory(request.GET)
    run = context["state"].run
    sort, sort_links = _sorting(request, columns)
    context.update(place=place, report=present(run, place, sort) if run else None, sort=sort,
                   sort_links=sort_links, **extra)
    return render(request, f"reports/{kind}_national.html", context)


@require_safe
def convergence_national(request):
    """The communes × ministries matrix of states, filtered by region or department; with
    `?ministry=` (an analyst's landing page) that ministry's own view first."""
    ministry = request.GET.get("ministry", "")

    def present(run, place, sort):
        return national_convergence_page(run, place, sort, ministry=ministry)

    return _national_page(request, CONVERGENCE, present, CONVERGENCE_SORTS,
                          legend=state_legend(), figure_meanings=FIGURE_MEANINGS)


@require_safe
def cooperation_national(request):
    """Cooperation figures per commune, filtered by region or department, and the country's."""
    return _national_page(request, COOPERATION, national_cooperation_page, COOPERATION_SORTS)


@require_safe
def national_map(request):
    """Public: communes coloured by convergence score, or by linked share (?by=linked_share)."""
    kind = COOPERATION if request.GET.get("by") == "linked_share" else CONVERGENCE
    context = _national_context(request, kind)
    context["map"] = map_page(kind, context["state"].run, territory(),
                                        link_reports=context["reads_country"])
    context["year_query"] = "by=linked_share&" if kind == COOPERATION else ""
    return render(request, "reports/map.html", context)


@require_POST
def recompute_commune(request, kind, pcode):
    """A CTD agent (their commune) or the admin queues a commune's report; others get 404."""
    commune = get_commune_for_user(request.user, pcode, need="write")
    target = reverse(f"reports:{kind}_commune", args=[commune.pcode])
    year = queued_year(request)
    if year is None:
        return redirect(target)
    request_report(kind=kind, year=year, commune=commune, user=request.user)
    messages.success(request, _("The report is queued for recomputation. This page will show "
                                "it once the run has finished."))
    return redirect(f"{target}?year={year}")


@require_POST
def recompute_national(request, kind):
    """The admin queues both reports for every commune and the country; others get 404."""
    if not recomputes_country(request.user):
        raise Http404
    year = queued_year(request)
    if year is None:
        return redirect(reverse(f"reports:{kind}_national"))
    request_national_recompute(year=year, user=request.user)
    messages.success(request, _("Both reports are queued for every commune and for the "
                                "country. The pages will show them once the runs finish."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse(f"reports:{kind}_national")
    return redirect(target)


@login_required
@require_safe
def export_report(request, kind, fmt):
    """The latest done run of a report (?commune=PCODE, else national; ?year=2025)."""
    try:
        year = parse_year(request.GET.get("year"))
    except ValidationError as error:
        return HttpResponseBadRequest(year_message(error), content_type="text/plain")
    pcode = request.GET.get("commune") or None
    table = report_table(request.user, kind, pcode=pcode, year=year)
    return table_response(table, export_name(f"{kind}-{pcode or 'national'}"), fmt)
