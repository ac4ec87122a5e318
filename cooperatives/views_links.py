"""Cooperation links: propose, confirm, refuse, end. A link between two communes needs both
sides' confirmation; the services decide which sides a user speaks for."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.forms import add_service_errors

from . import services
from .forms import LinkNoteForm, LinkProposeForm, PartnerCommuneForm
from .models import CooperationLink, LinkStatus
from .permissions import get_commune_for_user, get_link_for_user, get_organisation_for_user
from .views_common import history_entries, mark_link_actions
from .views_registry import awaiting_links


@login_required
def link_propose(request, pk):
    """Propose a link from an organisation the user speaks for. The partner's commune is
    chosen first (a GET form), then one of its organisations."""
    source = get_organisation_for_user(request.user, pk)
    partner = PartnerCommuneForm(request.GET or {"commune": source.commune.pcode})
    commune = partner.cleaned_data["commune"] if partner.is_valid() else source.commune
    form = LinkProposeForm(request.POST or None, source=source, partner_commune=commune)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.link_propose(user=request.user, source=source, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            confirmed = link.status == LinkStatus.CONFIRMED
            messages.success(request, _("The link is confirmed.") if confirmed
                             else _("The link is proposed."))
            return redirect("link_detail", pk=link.pk)
    return render(request, "cooperatives/link_form.html", {
        "source": source, "partner": partner, "commune": commune, "form": form})


@login_required
@require_safe
def link_detail(request, pk):
    link = get_link_for_user(request.user, pk)
    mark_link_actions(request.user, link)
    return render(request, "cooperatives/link_detail.html", {
        "link": link,
        "history": history_entries(link.history.all()),
    })


def _act(request, pk, action, done: str):
    """Run a link service, report its outcome and go back where the user came from."""
    link = get_link_for_user(request.user, pk)
    form = LinkNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        action(link, note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(back)
    return redirect("link_detail", pk=link.pk)


@login_required
@require_POST
def link_confirm(request, pk):
    return _act(request, pk, lambda link, note: services.link_confirm(
        user=request.user, link=link), _("The link is confirmed on your side."))


@login_required
@require_POST
def link_refuse(request, pk):
    return _act(request, pk, lambda link, note: services.link_refuse(
        user=request.user, link=link, note=note), _("The proposal is refused."))


@login_required
@require_POST
def link_end(request, pk):
    return _act(request, pk, lambda link, note: services.link_end(
        user=request.user, link=link, note=note), _("The link has ended."))


@login_required
@require_safe
def commune_links(request, pcode):
    """The commune's cooperation links for its CTD agents: the proposals waiting for the
    commune's confirmation (with the actions), those waiting for the partner, and the
    confirmed links, paginated."""
    commune = get_commune_for_user(request.user, pcode, need="write")
    ends = [CooperationLink.objects.filter(**{f"{end}__commune": commune}).order_by()
            for end in ("source", "target")]
    waiting_partner = (ends[0].filter(status=LinkStatus.PROPOSED, source_confirmed=True,
                                      target_confirmed=False)
                       .union(ends[1].filter(status=LinkStatus.PROPOSED, target_confirmed=True,
                                             source_confirmed=False)))
    confirmed = ends[0].filter(status=LinkStatus.CONFIRMED).union(
        ends[1].filter(status=LinkStatus.CONFIRMED))
    partner_ids = list(waiting_partner.values_list("id", flat=True))
    page = Paginator(CooperationLink.objects.filter(
        pk__in=list(confirmed.values_list("id", flat=True)))
        .select_related("source", "target").order_by("-created_at", "-id"), 50) \
        .get_page(request.GET.get("page"))
    awaiting = awaiting_links(commune, limit=100)
    for link in awaiting:
        mark_link_actions(request.user, link)
    return render(request, "cooperatives/commune_links.html", {
        "commune": commune, "awaiting": awaiting, "page": page,
        "waiting_partner": CooperationLink.objects.filter(pk__in=partner_ids[:100])
        .select_related("source", "target").order_by("created_at", "id"),
        "waiting_partner_count": len(partner_ids)})
