"""The contact person's consent of one organisation: its records, a new consent, a withdrawal.

CTD agents of the commune and national admins record consents given on paper or in person;
the organisation's representatives record the consent given online and may withdraw it.
Anyone else: 404 (the organisation's fetch-and-check helper)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import add_service_errors

from .consent import consent_record, consent_withdraw, contact_hidden_reason
from .forms import DateInput
from .models import ContactConsent
from .permissions import can_write_commune, get_organisation_for_user, scope_of


class ConsentForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("How the contact person consented"))
    given_on = forms.DateField(label=gettext_lazy("Given on"), required=False, widget=DateInput())
    document_reference = forms.CharField(
        label=gettext_lazy("Where the signed form is kept"), required=False, max_length=120,
        help_text=gettext_lazy("For a paper form: the file or binder at the commune, "
                        "e.g. RELESS 2026/14."))
    note = forms.CharField(label=gettext_lazy("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(m.value, m.label) for m in methods]


def _methods(user, organisation):
    if can_write_commune(user, organisation.commune_id):
        return [ContactConsent.Method.PAPER, ContactConsent.Method.IN_PERSON]
    return [ContactConsent.Method.ONLINE]


@login_required
def organisation_consent(request, pk):
    organisation = get_organisation_for_user(request.user, pk)
    if not (can_write_commune(request.user, organisation.commune_id)
            or organisation.pk in scope_of(request.user).organisation_ids):
        raise PermissionDenied
    form = ConsentForm(request.POST or None, methods=_methods(request.user, organisation))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consent_record(user=request.user, organisation=organisation,
                           method=data["method"], given_on=data["given_on"],
                           document_reference=data["document_reference"], note=data["note"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The consent is recorded: the contact is shown again "
                                        "to those who may see it."))
            return redirect("organisation_consent", pk=organisation.pk)
    records = list(organisation.consents.select_related("recorded_by", "withdrawn_by"))
    return render(request, "cooperatives/organisation_consent.html", {
        "organisation": organisation, "form": form, "records": records,
        "reason": contact_hidden_reason(organisation, records[0] if records else None),
        "active": next((r for r in records if r.active), None),
    })


@login_required
@require_POST
def organisation_consent_withdraw(request, pk):
    organisation = get_organisation_for_user(request.user, pk)
    consent_withdraw(user=request.user, organisation=organisation)
    messages.success(request, _("The withdrawal is recorded: the contact is hidden everywhere."))
    return redirect("organisation_consent", pk=organisation.pk)
