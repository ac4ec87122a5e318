"""Project territories' pages (docs/project-territories.md): the list of those the user
reads, one territory with its members over time, the proposal (a CTD agent) or creation (the
admin) and a member commune's confirmation. Their reports are the reports' pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.forms import add_service_errors

from .forms import TerritoryForm
from .permissions import (
    can_recompute_territory,
    get_territory_for_user,
    scope_of,
    territories_visible_to,
)
from .territory_services import territory_confirm, territory_create, territory_waits_for


@login_required
@require_safe
def territory_list(request):
    """The project territories the user reads, with their current member count."""
    today = timezone.localdate()
    current = Q(memberships__start__lte=today) & (
        Q(memberships__end__isnull=True) | Q(memberships__end__gt=today))
    territories = (territories_visible_to(request.user).select_related("filiere")
                   .annotate(members=Count("memberships", filter=current, distinct=True)))
    scope = scope_of(request.user)
    return render(request, "cooperatives/territory_list.html", {
        "territories": territories, "can_propose": scope.is_admin or scope.is_agent})


@login_required
def territory_new(request):
    """The admin creates an active territory; a CTD agent proposes one with its commune."""
    scope = scope_of(request.user)
    if not (scope.is_admin or scope.is_agent):
        raise Http404
    form = TerritoryForm(request.POST or None, initial={"communes": sorted(scope.commune_ids)})
    if request.method == "POST" and form.is_valid():
        try:
            territory = territory_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The project territory is active.")
                             if territory.status == territory.Status.ACTIVE else
                             _("The project territory is proposed: each member commune's CTD "
                               "agent confirms it."))
            return redirect("territory_detail", code=territory.code)
    return render(request, "cooperatives/simple_form.html", {
        "form": form, "title": _("New project territory"), "submit": _("Save"),
        "intro": _("A territory of projects groups communes around a value chain, a basin or "
                   "an intercommunal syndicate, across department and region lines."),
        "back": reverse("territory_list")})


@login_required
@require_safe
def territory_detail(request, code):
    """A territory: its purpose, members over time (confirmed or waiting), its reports."""
    territory = get_territory_for_user(request.user, code)
    memberships = territory.memberships.select_related(
        "commune__department__region").defer("commune__boundary")
    return render(request, "cooperatives/territory_detail.html", {
        "territory": territory, "memberships": memberships,
        "waits_for_me": territory_waits_for(request.user, territory),
        "can_recompute": can_recompute_territory(request.user, territory)})


@login_required
@require_POST
def territory_confirm_view(request, code):
    """A member commune's CTD agent confirms its membership (readers: 403)."""
    territory = get_territory_for_user(request.user, code)
    territory_confirm(user=request.user, territory=territory)
    messages.success(request, _("Your commune's membership is confirmed."))
    return redirect("territory_detail", code=territory.code)
