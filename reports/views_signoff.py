"""The yearly sign-off pages: the reviewer's queue, a commune's timeline of years, one year
(its checklist, its chain of steps, the buttons of the steps the user may take) and the step
form. Every step goes through `reports.signoff` (the API uses the same functions)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from communes.models import Commune
from cooperatives.permissions import get_commune_for_user, scope_of
from core.years import parse_year

from . import signoff as services
from .models import SignoffStep


def _commune_year(request, pcode: str, year: int):
    commune = get_commune_for_user(request.user, pcode, need="signoff")
    try:
        return commune, parse_year(year)
    except ValidationError:
        raise Http404 from None


@login_required
@require_safe
def signoff_queue(request):
    """The years waiting for the user's step (reviewers, the admin, agents of returned years);
    for a reviewer, the reviewer's landing page (`my_space`), also the communes of their
    territory with their reports and years, and their territory's organisations as a download
    (public fields only)."""
    scope = scope_of(request.user)
    territory = (Commune.objects.filter(scope.reviewed_territory())
                 .select_related("department").defer("boundary").order_by("pcode")
                 if scope.is_reviewer else ())
    return render(request, "reports/signoff_queue.html",
                  {"signoffs": services.awaiting(request.user), "territory": territory})


def _percent(fraction: dict | None) -> str:
    """A stored fraction as a whole percentage with its terms ("40 % (2/5)"), "–" if null."""
    if not fraction:
        return "–"
    num, den = fraction["num"], fraction["den"]
    return f"{round(100 * num / den)} % ({num}/{den})"


@login_required
@require_safe
def signoff_commune(request, pcode: str):
    """The commune's years with their state, and the key figures of each closed year beside
    the year before."""
    commune = get_commune_for_user(request.user, pcode, need="signoff")
    rows = services.timeline(commune, current_year=timezone.localdate().year)
    for row in rows:
        for figures in (row["figures"], row["previous"]):
            if figures:
                figures["linked_share_text"] = _percent(figures["linked_share"])
                figures["score_text"] = _percent(figures["score"])
    return render(request, "reports/signoff_commune.html", {"commune": commune, "rows": rows})


def _year_page(request, commune, year, *, errors=(), status=200):
    signoff = services.signoff_of(commune, year)
    return render(request, "reports/signoff_year.html", {
        "commune": commune, "year": year, "signoff": signoff, "errors": errors,
        "checklist": services.checklist(commune, year), "chain": services.chain(signoff),
        "returned": signoff.state == signoff.State.RETURNED,
        "actions": services.actions_for(request.user, signoff),
        "Action": SignoffStep.Action,
        "frozen": signoff.frozen_reports.order_by("-version", "kind") if signoff.pk else [],
    }, status=status)


@login_required
@require_safe
def signoff_year(request, pcode: str, year: int):
    commune, year = _commune_year(request, pcode, year)
    return _year_page(request, commune, year)


@login_required
@require_POST
def signoff_step(request, pcode: str, year: int):
    """Take a step; a refusal shows the year again with its reason."""
    commune, year = _commune_year(request, pcode, year)
    action = request.POST.get("action", "")
    try:
        services.year_step(user=request.user, commune=commune, year=year, action=action,
                           reason=request.POST.get("reason", ""))
    except ValidationError as error:
        return _year_page(request, commune, year, errors=error.messages)
    messages.success(request, _("Done: the year %(year)s is now %(state)s.") % {
        "year": year, "state": services.signoff_of(commune, year).get_state_display()})
    return redirect("reports:signoff_year", pcode=commune.pcode, year=year)
