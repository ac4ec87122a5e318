"""The offline pages: the workspace (outbox and cached data, filled by static/js/offline.js),
the form shells the service worker serves offline, and the conflicts with their
resolution. Pages work without JavaScript where they can; the workspace says that offline
work needs it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from communes.models import Commune
from cooperatives.forms import (
    ChangeProposalForm,
    LinkProposeForm,
    OrganisationForm,
    RegistryEventForm,
    VerificationForm,
)
from cooperatives.models import Organisation, OrganisationStatus
from cooperatives.permissions import scope_of
from diagnostics.forms import EntryForm

from .conflicts import conflict_resolve, conflict_rows, conflicts_visible_to, get_conflict_for_user
from .models import SyncChange
from .snapshot import may_work_offline

# slug -> (kind, who: "agent" or "any" offline user)
SHELLS = {
    "organisation-create": ("organisation.create", "agent"),
    "organisation-edit": ("organisation.update", "agent"),
    "registry-event": ("registry_event.add", "agent"),
    "verification": ("verification.add", "agent"),
    "diagnostic-entry": ("diagnostic_entry.add", "agent"),
    "link-propose": ("link.propose", "any"),
    "change-proposal": ("change_request.submit", "representative"),
}


def _offline_scope(user):
    scope = scope_of(user)
    if not may_work_offline(scope):
        raise Http404
    return scope


@login_required
@require_safe
def workspace(request):
    scope = _offline_scope(request.user)
    open_conflicts = conflicts_visible_to(request.user).filter(
        status=SyncChange.Status.CONFLICT).count()
    return render(request, "offline/workspace.html", {
        "conflicts": open_conflicts, "is_agent": scope.is_agent,
        "is_representative": scope.is_representative, "shells": SHELLS})


def _commune(scope) -> Commune:
    """The user's first commune (an agent's; a representative's organisation's)."""
    ids = scope.commune_ids or scope.represented_commune_ids
    return Commune.objects.filter(pk__in=ids).defer("boundary").order_by("pcode").first()


def _shell_form(slug: str, scope, commune: Commune):
    if slug == "organisation-create":
        return OrganisationForm(instance=Organisation(commune=commune))
    if slug == "organisation-edit":
        form = OrganisationForm(instance=Organisation(commune=commune))
        form.fields["status"].choices = [(s.value, s.label) for s in OrganisationStatus]
        return form
    if slug == "registry-event":
        return RegistryEventForm()
    if slug == "verification":
        form = VerificationForm()
        form.fields["visited_on"].initial = None  # a kept shell must not offer a past day
        return form
    if slug == "diagnostic-entry":
        return EntryForm()
    if slug == "link-propose":
        return LinkProposeForm(source=Organisation(commune=commune), partner_commune=commune)
    organisation = (Organisation.objects.filter(pk__in=scope.organisation_ids)
                    .select_related("commune").order_by("pk").first())
    return ChangeProposalForm(organisation=organisation)


@login_required
@require_safe
def form_shell(request, slug):
    """An empty form of the kind, for the user's commune: offline, the script fills it from
    the snapshot (the target from the address) and queues what is sent."""
    scope = _offline_scope(request.user)
    if slug not in SHELLS:
        raise Http404
    kind, who = SHELLS[slug]
    if (who == "agent" and not scope.is_agent) or (
            who == "representative" and not scope.is_representative):
        raise Http404
    commune = _commune(scope)
    return render(request, "offline/form_shell.html", {
        "form": _shell_form(slug, scope, commune), "kind": kind, "slug": slug,
        "commune": commune})


@login_required
@require_safe
def conflict_list(request):
    scope = scope_of(request.user)
    if not (scope.is_admin or may_work_offline(scope)):
        raise Http404
    changes = (conflicts_visible_to(request.user).filter(status=SyncChange.Status.CONFLICT)
               .select_related("user", "commune").order_by("-received_at")[:200])
    return render(request, "offline/conflict_list.html", {"changes": changes})


@login_required
def conflict_detail(request, pk):
    """The conflicting fields side by side; POST applies the choices (through sync)."""
    change = get_conflict_for_user(request.user, pk)
    if change.status != SyncChange.Status.CONFLICT:
        if request.method == "POST":
            return redirect("offline:conflict", pk=change.pk)
        return render(request, "offline/conflict_detail.html", {"change": change, "rows": []})
    try:
        organisation, rows = conflict_rows(request.user, change)
    except Http404:
        organisation, rows = None, []
    errors = {}
    if request.method == "POST" and organisation is not None:
        choices = {row["name"]: request.POST.get(f"choice-{row['name']}", "mine")
                   for row in rows}
        with transaction.atomic():
            # Two people resolving at once: the second waits, then finds it resolved.
            change = SyncChange.objects.select_for_update().filter(pk=change.pk).first()
            if change.status != SyncChange.Status.CONFLICT:
                return redirect("offline:conflict", pk=change.pk)
            outcome = conflict_resolve(user=request.user, change=change, choices=choices)
        if outcome.status == SyncChange.Status.APPLIED:
            messages.success(request, _("The conflict is resolved: %(message)s") % {
                "message": outcome.message})
            return redirect(outcome.object["url"] if outcome.object
                            else reverse("offline:conflicts"))
        if outcome.status == SyncChange.Status.REFUSED:
            messages.error(request, outcome.message)
        errors = outcome.errors
    return render(request, "offline/conflict_detail.html", {
        "change": change, "organisation": organisation, "rows": rows, "errors": errors,
        "unreachable": organisation is None})
