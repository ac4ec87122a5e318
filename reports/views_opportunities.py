"""Acting on a cooperation opportunity from the commune's report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cooperatives.models import LinkStatus
from cooperatives.permissions import get_commune_for_user
from core.years import parse_year, year_message

from .models import ReportRun
from .opportunities import opportunity_of, opportunity_propose
from .reads import run_state


@login_required
@require_POST
def propose(request, pcode):
    """Propose the link an opportunity of the commune's report suggests (`organisations`:
    its two ids, `year`: the report's). 404 outside the readers of the commune's reports or
    for a pair the report does not suggest; 403 for a reader who speaks for neither
    organisation (only CTD agents of the commune, the pair's representatives and admins)."""
    commune = get_commune_for_user(request.user, pcode, need="reports")
    try:
        year = parse_year(request.POST.get("year"))
    except ValidationError as error:
        return HttpResponseBadRequest(year_message(error), content_type="text/plain")
    pair = _posted_pair(request.POST.getlist("organisations"))
    state = run_state(ReportRun.Kind.COOPERATION.value, commune=commune, year=year)
    opportunity = opportunity_of(state.run, pair)
    back = reverse("reports:cooperation_commune", args=[commune.pcode])
    try:
        link = opportunity_propose(user=request.user, commune=commune, opportunity=opportunity)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{back}?year={state.year}#opportunities")
    messages.success(request, _("The link is confirmed.") if link.status == LinkStatus.CONFIRMED
                     else _("The link is proposed: the other organisation confirms it."))
    return redirect("link_detail", pk=link.pk)


def _posted_pair(values: list[str]) -> list[int]:
    """The two organisation ids of the posted opportunity; anything else is no opportunity."""
    try:
        pair = [int(v) for v in values]
    except ValueError:
        raise Http404 from None
    if len(pair) != 2:
        raise Http404
    return pair
