"""A project territory's report pages (docs/project-territories.md): the latest done run of
its scope, shaped by the commune presenters, and its recompute (admins, CTD agents of a
member commune). Readers: admins, analysts, and those who read a member commune's reports;
404 for others and for a territory not active yet."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from communes.models import Commune
from cooperatives.permissions import can_recompute_territory, get_territory_for_user

from .convergence_presenter import FIGURE_MEANINGS, state_legend
from .reads import run_state
from .tasks import request_report
from .views import SHAPERS, queued_year, shown_year


@require_safe
def territory_report(request, code, kind):
    territory = get_territory_for_user(request.user, code, need="reports")
    state = run_state(kind, territory=territory, year=shown_year(request))
    result = (state.run.result or {}) if state.run else {}
    report = SHAPERS[kind](result) if state.run else None
    members = Commune.objects.filter(pcode__in=result.get("communes") or []).order_by(
        "name_fr", "pcode").only("pcode", "name_fr", "name_en")
    return render(request, f"reports/territory_{kind}.html", {
        "territory": territory, "kind": kind, "state": state, "report": report,
        "result": result, "members": members, "legend": state_legend(),
        "figure_meanings": FIGURE_MEANINGS,
        "can_recompute": can_recompute_territory(request.user, territory),
        "recompute_url": reverse("reports:territory_recompute", args=[territory.code, kind]),
    })


@require_POST
def territory_recompute(request, code, kind):
    territory = get_territory_for_user(request.user, code, need="reports")
    if not can_recompute_territory(request.user, territory):
        raise PermissionDenied
    target = reverse("reports:territory_report", args=[territory.code, kind])
    year = queued_year(request)
    if year is None:
        return redirect(target)
    request_report(kind=kind, year=year, territory=territory, user=request.user)
    messages.success(request, _("The report is queued for recomputation. This page will show "
                                "it once the run has finished."))
    return redirect(f"{target}?year={year}")
