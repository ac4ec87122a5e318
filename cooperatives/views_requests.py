"""Change requests: a representative proposes, the CTD agent reviews."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.forms import add_service_errors

from . import services
from .access import log_organisations, log_proposals
from .forms import ChangeProposalForm, ReviewForm
from .models import ChangeRequest, Organisation
from .permissions import (
    can_write_commune,
    get_change_request_for_user,
    get_commune_for_user,
    get_organisation_for_user,
    scope_of,
)
from .views_common import history_entries, warn_after_save, with_change_rows


@login_required
def change_propose(request, pk):
    """The representative's form. Those who may edit the organisation directly are sent to
    the edit form; anyone else gets 404."""
    organisation = get_organisation_for_user(request.user, pk)
    if organisation.pk not in scope_of(request.user).organisation_ids:
        if can_write_commune(request.user, organisation.commune_id):
            return redirect("organisation_edit", pk=organisation.pk)
        raise Http404
    form = ChangeProposalForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.change_request_submit(
                user=request.user, organisation=organisation, values=form.values())
        except ValidationError as error:
            add_service_errors(form, error, model=Organisation)
        else:
            messages.success(request, services.change_request_outcome(created))
            warn_after_save(request, organisation)
            return redirect("organisation_detail", pk=organisation.pk)
    log_organisations(request, [organisation])
    return render(request, "cooperatives/change_propose.html",
                  {"form": form, "organisation": organisation})


@login_required
@require_safe
def commune_change_requests(request, pcode):
    """The commune's pending requests, oldest first, each field old -> new."""
    commune = get_commune_for_user(request.user, pcode, need="write")
    pending = with_change_rows(
        ChangeRequest.objects.filter(organisation__commune=commune,
                                     status=ChangeRequest.Status.PENDING)
        .select_related("organisation", "requested_by").order_by("created_at", "id"))
    log_proposals(request, pending)
    return render(request, "cooperatives/change_requests_pending.html", {
        "commune": commune, "pending": pending, "form": ReviewForm()})


@login_required
@require_safe
def change_request_detail(request, pk):
    change_request = get_change_request_for_user(request.user, pk)
    return _render_detail(request, change_request, ReviewForm())


def _render_detail(request, change_request, form, status=200):
    can_review = (change_request.status == ChangeRequest.Status.PENDING
                  and can_write_commune(request.user, change_request.organisation.commune_id))
    log_proposals(request, [change_request])
    return render(request, "cooperatives/change_request_detail.html", {
        "cr": with_change_rows([change_request])[0],
        "form": form, "can_review": can_review,
        "history": history_entries(change_request.history.all()),
    }, status=status)


@login_required
@require_POST
def change_request_review(request, pk):
    """Approve (apply the new values) or reject (with a reason) a pending request."""
    change_request = get_change_request_for_user(request.user, pk, write=True)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            _decide(request.user, change_request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The request is approved.")
                             if change_request.status == ChangeRequest.Status.APPROVED
                             else _("The request is rejected."))
            return _after_review(request, change_request)
    change_request.refresh_from_db()
    return _render_detail(request, change_request, form)


def _decide(user, change_request: ChangeRequest, *, decision: str, reason: str) -> None:
    if decision == "approve":
        services.change_request_approve(user=user, change_request=change_request)
    else:
        services.change_request_reject(user=user, change_request=change_request, reason=reason)


def _after_review(request, change_request: ChangeRequest):
    """Back to the commune's pending list when the review was made there."""
    if request.POST.get("next") == "list":
        return redirect("commune_change_requests",
                        pcode=change_request.organisation.commune.pcode)
    return redirect("change_request_detail", pk=change_request.pk)
