"""Forms of the support pages. They shape input only: rights and rules are the services'."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from communes.models import Commune
from cooperatives.models import Organisation
from cooperatives.permissions import scope_of
from diagnostics.forms import AMOUNT_MAX
from sectors.models import Ministry

from .models import Enrolment, Programme

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_COMMUNES = 400


class ProgrammeForm(forms.ModelForm):
    """A programme; its communes and owner commune are typed as P-codes."""

    ministry = forms.ModelChoiceField(label=capfirst(_("ministry")), required=False,
                                      queryset=Ministry.objects.order_by("acronym"))
    owner_commune = forms.CharField(label=capfirst(_("owner commune (P-code)")),
                                    required=False, max_length=16)
    communes = forms.CharField(label=capfirst(_("communes covered (P-codes)")), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("P-codes separated by spaces or commas. The owner "
                                           "commune is always covered."))
    budget = forms.IntegerField(label=capfirst(_("budget (FCFA)")), min_value=0,
                                max_value=AMOUNT_MAX, initial=0)

    class Meta:
        model = Programme
        fields = ["name", "kind", "owner_type", "ministry", "owner_commune", "partner",
                  "start_date", "end_date", "budget", "communes", "description"]
        widgets = {"start_date": DATE, "end_date": DATE,
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        programme = self.instance
        if programme.pk and not self.is_bound:
            self.initial["owner_commune"] = (programme.owner_commune.pcode
                                             if programme.owner_commune_id else "")
            self.initial["communes"] = " ".join(
                programme.communes.order_by("pcode").values_list("pcode", flat=True))

    def clean_owner_commune(self):
        pcode = self.cleaned_data["owner_commune"].strip()
        if not pcode:
            return None
        commune = Commune.objects.filter(pcode=pcode).first()
        if commune is None:
            raise ValidationError(_("Unknown P-code: %(codes)s.") % {"codes": pcode})
        return commune

    def clean_communes(self):
        codes = sorted(set(re.split(r"[\s,;]+", self.cleaned_data["communes"].strip())) - {""})
        if len(codes) > MAX_COMMUNES:
            raise ValidationError(_("At most %(n)d communes.") % {"n": MAX_COMMUNES})
        found = dict(Commune.objects.filter(pcode__in=codes).values_list("pcode", "pk"))
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise ValidationError(_("Unknown P-code: %(codes)s.") % {"codes": ", ".join(unknown)})
        return list(found.values())

    def _post_clean(self):
        pass  # the service validates the model (one implementation of the rules)

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class EnrolmentForm(forms.ModelForm):
    """An enrolment. CTD agents choose among their communes' organisations; the admin and
    analysts give the organisation's number (a list of the country's would not fit a phone)."""

    organisation = forms.ModelChoiceField(label=capfirst(_("organisation")),
                                          queryset=Organisation.objects.none())

    class Meta:
        model = Enrolment
        fields = ["organisation", "start_date", "end_date", "outcome", "note"]
        widgets = {"start_date": DATE, "end_date": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if self.instance.pk:
            del self.fields["organisation"]
            return
        scope = scope_of(user)
        if scope.is_admin or scope.is_analyst:
            field.queryset = Organisation.objects.all()
            field.widget = forms.NumberInput(attrs={"min": 1})
            field.help_text = _("The organisation's number, shown in its page's address.")
        else:
            field.queryset = (Organisation.objects.filter(commune_id__in=scope.commune_ids)
                              .only("id", "name").order_by("name", "id"))

    def _post_clean(self):
        pass  # the service validates the model
