"""Recording a verification visit of an organisation (proof of existence).

The form page is for those who record visits (the CTD agents of its commune and national
admins; anyone else: 404, as the other registry forms); the visits themselves are listed on
the organisation's page for everyone who sees it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.forms import add_service_errors

from .forms import VerificationForm
from .permissions import get_organisation_for_user
from .verification import verification_flag, verification_record

RECENT_VISITS = 10  # shown under the form and on the organisation's page


@login_required
def organisation_verify(request, pk):
    organisation = get_organisation_for_user(request.user, pk, write=True)
    form = VerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification_record(user=request.user, organisation=organisation,
                                 **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The verification visit is recorded."))
            return redirect("organisation_detail", pk=organisation.pk)
    return render(request, "cooperatives/verification_form.html", {
        "organisation": organisation, "form": form,
        "title": _("Verification visit of %(name)s") % {"name": organisation.name},
        "visits": organisation.verifications.select_related("visited_by")[:RECENT_VISITS],
        "flag": verification_flag(organisation),
    })
