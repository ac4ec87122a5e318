"""People's requests about their data, handled by the CTD agent of the commune or the national
admin: find the records, record the request, then export, erase (or refuse with the legal
reason), record a withdrawal, or say what was corrected. Others: 404."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from cooperatives.consent import consent_withdraw
from cooperatives.forms import DateInput
from cooperatives.models import Organisation
from cooperatives.permissions import scope_of
from core.forms import add_service_errors

from . import records, services
from .models import RightsRequest


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Request"), choices=RightsRequest.Kind.choices)
    subject = forms.CharField(
        label=gettext_lazy("Whose data"), max_length=200,
        help_text=gettext_lazy("Say who asks without repeating their data, e.g. \u201cthe contact "
                        "person of COOP X\u201d."))
    received_on = forms.DateField(label=gettext_lazy("Received on"), required=False,
                                  widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("What was done, or the legal reason of the refusal"),
                           widget=forms.Textarea(attrs={"rows": 3}))


# Where a record's data is corrected: the usual forms.
EDIT_URLS = {
    "organisation_contact": lambda h, obj: reverse("organisation_edit", args=[h.pk]),
    "bureau_member": lambda h, obj: reverse("bureau_member_edit", args=[h.pk]),
    "diagnostic_actor": lambda h, obj: reverse("diagnostic_detail", args=[obj.diagnostic_id]),
}


def _handler_only(request):
    if not records.handles(request.user):
        raise Http404


def _visible(user):
    scope = scope_of(user)
    qs = RightsRequest.objects.select_related("commune", "handled_by")
    if scope.is_admin:
        return qs
    return qs.filter(Q(commune_id__in=scope.commune_ids) | Q(handled_by=user))


def _get(request, pk) -> RightsRequest:
    _handler_only(request)
    return get_object_or_404(_visible(request.user), pk=pk)


@login_required
@require_safe
def request_list(request):
    _handler_only(request)
    page = Paginator(_visible(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "privacy/request_list.html", {"page": page})


@login_required
def request_new(request):
    _handler_only(request)
    query = request.GET.get("q", "").strip()
    found = records.find(request.user, query) if query else []
    form = RequestForm(request.POST or None)
    if request.method == "POST":
        holdings = records.load(request.user, request.POST.getlist("record"))
        if form.is_valid():
            try:
                created = services.request_record(
                    user=request.user, holdings=holdings,
                    received_on=form.cleaned_data["received_on"], **{
                        k: form.cleaned_data[k] for k in ("kind", "subject", "note")})
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The request is recorded."))
                return redirect("privacy:request_detail", pk=created.pk)
        found = holdings or found
    return render(request, "privacy/request_new.html",
                  {"form": form, "query": query, "found": found,
                   "searched": bool(query), "short": 0 < len(query) < 3})


@login_required
@require_safe
def request_detail(request, pk):
    rights_request = _get(request, pk)
    holdings = services.request_holdings(request.user, rights_request)
    rows = []
    for h in holdings:
        obj = records.apps_object(h)
        rows.append({"holding": h, "refusal": services.refusal_reason(h, obj),
                     "organisation_id": h.pk if h.entry == "organisation_contact" else None,
                     "edit_url": EDIT_URLS[h.entry](h, obj) if obj is not None else ""})
    return render(request, "privacy/request_detail.html", {
        "r": rights_request, "rows": rows, "form": OutcomeForm(),
        "open": rights_request.status == RightsRequest.Status.OPEN})


@login_required
@require_safe
def request_export(request, pk):
    """The readable page of everything held (`?format=json` downloads the same as JSON)."""
    rights_request = _get(request, pk)
    data = services.export(request.user, services.request_holdings(request.user,
                                                                   rights_request))
    if request.GET.get("format") == "json":
        response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="request-{pk}.json"'
        return response
    return render(request, "privacy/request_export.html", {"r": rights_request, "data": data})


@login_required
@require_POST
def request_act(request, pk):
    """The request's decision: answer (export given, erasure done), withdrawal, close, refuse."""
    rights_request = _get(request, pk)
    if rights_request.status != RightsRequest.Status.OPEN:
        messages.error(request, _("This request is already closed."))
        return redirect("privacy:request_detail", pk=pk)
    action, user = request.POST.get("action"), request.user
    form = OutcomeForm(request.POST)
    try:
        if action == "exported":
            services.request_answer_access(user=user, request=rights_request)
        elif action == "erase":
            services.request_answer_erasure(user=user, request=rights_request)
        elif action == "withdraw":
            for h in services.request_holdings(user, rights_request):
                if h.entry == "organisation_contact":
                    consent_withdraw(user=user, organisation=Organisation.objects.get(pk=h.pk))
            services.request_close(user=user, request=rights_request,
                                   outcome=_("Withdrawal of the consent recorded."))
        elif action in ("close", "refuse") and form.is_valid():
            text = form.cleaned_data["text"]
            if action == "close":
                services.request_close(user=user, request=rights_request, outcome=text)
            else:
                services.request_refuse(user=user, request=rights_request, reason=text)
        else:
            messages.error(request, _("Say what was done, or why the request is refused."))
            return redirect("privacy:request_detail", pk=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("privacy:request_detail", pk=pk)
    messages.success(request, _("The request is closed."))
    return redirect("privacy:request_detail", pk=pk)
