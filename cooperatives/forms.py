"""Forms of the registry pages. They shape and check input; the writes go through services.py,
whose ValidationErrors land next to their fields with `add_service_errors`."""

from django import forms
from django.db.models import Q
from django.forms.models import fields_for_model, model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Commune
from core.forms import on_unique_fields
from sectors.models import Filiere

from .consent import CONTACT_FIELDS, contact_hidden_reason, contact_shown
from .models import (
    COUNT_FIELDS,
    LEGAL_MINIMUM_MEMBERS,
    BureauMember,
    ContactConsent,
    ContactConsentState,
    CooperationLink,
    LegalForm,
    Organisation,
    OrganisationLabel,
    OrganisationStatus,
    ProjectTerritory,
    RegistryEvent,
    Reless,
    VerificationVisit,
)
from .services import REVIEWED_FIELDS, SELF_SERVICE_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def filiere_queryset():
    return Filiere.objects.select_related("sector").order_by("name_fr")


class FiliereCheckboxes(forms.CheckboxSelectMultiple):
    """Filières as a fieldset of checkboxes; static/js/filter_choices.js adds a box that
    filters them by name (without JavaScript, every checkbox is there and works)."""

    template_name = "cooperatives/widgets/filter_checkboxes.html"


def _count_fields_optional(form: forms.BaseForm, instance: Organisation | None) -> None:
    """Member counts start empty on a new organisation (empty is stored as 0, except the
    members a SCOOPS or COOP-CA must give: the model's rule)."""
    for name in COUNT_FIELDS:
        if name in form.fields:
            form.fields[name].required = False
            form.fields[name].widget.attrs.setdefault("inputmode", "numeric")
            if instance is None or instance.pk is None:
                form.initial[name] = None
    if "members_total" in form.fields:
        form.fields["members_total"].help_text = _(
            "Required for a SCOOPS (at least 5) and a COOP-CA (at least 15).")
        # static/js/forms.js marks the field required while one of these forms is chosen.
        form.fields["members_total"].widget.attrs["data-required-for"] = " ".join(
            LEGAL_MINIMUM_MEMBERS)


def _point_and_phone_hints(form: forms.BaseForm) -> None:
    if "contact_phone" in form.fields:
        form.fields["contact_phone"].help_text = _("For example 6 77 12 34 56: it is saved "
                                                   "as +237677123456.")
        form.fields["contact_phone"].widget.input_type = "tel"
    for name in ("latitude", "longitude"):
        if name in form.fields:
            form.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})
    if "latitude" in form.fields:
        form.fields["latitude"].help_text = _(
            "Decimal degrees within Cameroon (%(lat)s), for example 3.8667.") % {
            "lat": "1.6–13.1"}
        form.fields["longitude"].help_text = _(
            "Decimal degrees within Cameroon (%(lon)s), for example 11.5167.") % {
            "lon": "8.4–16.2"}


class OrganisationForm(forms.ModelForm):
    """Create or edit an organisation of a commune (CTD agents and admins)."""

    filieres = forms.ModelMultipleChoiceField(
        queryset=Filiere.objects.none(), required=False, label=_("Other filières"),
        widget=FiliereCheckboxes, help_text=_("The primary filière is always included."))

    fieldsets = (
        (_("Identity"), ("name", "acronym", "legal_form", "status", "primary_filiere",
                         "filieres", "locality", "description")),
        (_("Registration"), ("rsc_number", "rsc_date", "niu", "ues_number", "parent_union",
                             "converted_from_gic", "reless_member_since")),
        (_("Members and means"), ("member_interest", "members_total", "members_women",
                                  "members_youth", "worker_members", "producer_members",
                                  "employees", "share_capital")),
        (_("Contact"), ("contact_name", "contact_phone", "contact_email", "consent_method",
                        "consent_document")),
        (_("Map point"), ("latitude", "longitude")),
    )
    map_title = fieldsets[-1][0]
    contact_title = fieldsets[-2][0]

    # The contact person's consent, asked while none stands (cooperatives.consent).
    consent_method = forms.ChoiceField(
        label=_("How the contact person consented"), required=False,
        choices=[("", "—"), *((m.value, m.label) for m in ContactConsent.Method
                              if m != ContactConsent.Method.ONLINE)],
        help_text=_("Required with a contact: the contact is kept and shown only with its "
                    "person's consent."))
    consent_document = forms.CharField(
        label=_("Where the signed form is kept"), required=False, max_length=120,
        help_text=_("For a paper form: the file or binder at the commune, e.g. RELESS 2026/14."))

    class Meta:
        model = Organisation
        fields = ["name", "acronym", "legal_form", "status", "primary_filiere", "locality",
                  "description", "rsc_number", "rsc_date", "niu", "ues_number",
                  "parent_union", "converted_from_gic", "reless_member_since",
                  "member_interest", "members_total", "members_women", "members_youth",
                  "worker_members", "producer_members", "employees", "share_capital",
                  "contact_name", "contact_phone", "contact_email", "latitude", "longitude"]
        widgets = {"rsc_date": DateInput(), "reless_member_since": DateInput(),
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = self.instance
        self.fields["primary_filiere"].queryset = filiere_queryset()
        self.fields["filieres"].queryset = filiere_queryset()
        if organisation.pk and not self.is_bound:
            self.initial["filieres"] = [f.pk for f in organisation.filieres.all()]
        statuses = [s for s in OrganisationStatus
                    if s != OrganisationStatus.DISSOLVED or organisation.status == s]
        if not organisation.pk:
            statuses = [OrganisationStatus.IN_CREATION, OrganisationStatus.ACTIVE]
        self.fields["status"].choices = [(s.value, s.label) for s in statuses]
        self._limit_related(organisation)
        _count_fields_optional(self, organisation)
        _point_and_phone_hints(self)
        self.contact_note = ""
        if organisation.pk and contact_shown(organisation):
            del self.fields["consent_method"], self.fields["consent_document"]
        elif organisation.pk and organisation.contact_consent != ContactConsentState.MISSING:
            # A withdrawn consent: the stored contact stays hidden, and is not typed over.
            for name in (*CONTACT_FIELDS, "consent_method", "consent_document"):
                del self.fields[name]
            self.contact_note = contact_hidden_reason(organisation)
        elif organisation.pk and any(getattr(organisation, f) for f in CONTACT_FIELDS):
            for name in CONTACT_FIELDS:  # hidden until its consent is recorded here
                del self.fields[name]
            self.contact_note = contact_hidden_reason(organisation)
            self.fields["consent_method"].help_text = _(
                "Record how its person consented to show the stored contact again.")

    def _limit_related(self, organisation: Organisation) -> None:
        """Unions of the department and GICs of the commune, plus the current values, so the
        lists stay short at national scale."""
        commune = organisation.commune
        others = Organisation.objects.exclude(pk=organisation.pk).only("pk", "name")
        self.fields["parent_union"].queryset = others.filter(
            Q(legal_form__in=[LegalForm.UNION, LegalForm.FEDERATION],
              commune__department_id=commune.department_id)
            | Q(pk=organisation.parent_union_id or 0))
        self.fields["converted_from_gic"].queryset = others.filter(
            Q(legal_form=LegalForm.GIC, commune=commune)
            | Q(pk=organisation.converted_from_gic_id or 0))

    def _update_errors(self, errors):
        super()._update_errors(on_unique_fields(Organisation, errors))

    def grouped(self):
        """(title, bound fields) for each fieldset, for the template."""
        return [(title, [self[name] for name in names if name in self.fields])
                for title, names in self.fieldsets]

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields
                if name in self.fields}

    def clean(self):
        data = super().clean()
        if "consent_method" in self.fields and any(data.get(f) for f in CONTACT_FIELDS):
            if not data.get("consent_method"):
                self.add_error("consent_method", _(
                    "Say how the contact person consented, or leave the contact empty."))
            elif (data["consent_method"] == ContactConsent.Method.PAPER
                  and not data.get("consent_document", "").strip()):
                self.add_error("consent_document", _(
                    "Say where the signed form is kept at the commune."))
        return data

    def consent(self) -> dict | None:
        """The consent to record with the contact, or None."""
        data = self.cleaned_data
        contact_typed = any(data.get(f) for f in CONTACT_FIELDS)
        if data.get("consent_method") and (contact_typed or "contact_name" not in self.fields):
            return {"method": data["consent_method"],
                    "document_reference": data.get("consent_document", "")}
        return None


class ArchiveForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=[
        (OrganisationStatus.DORMANT.value, OrganisationStatus.DORMANT.label),
        (OrganisationStatus.DISSOLVED.value, OrganisationStatus.DISSOLVED.label)])
    on = forms.DateField(label=_("Date"), required=False, widget=DateInput(),
                         help_text=_("Date of the dissolution; today when empty."))
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class LabelForm(forms.ModelForm):
    class Meta:
        model = OrganisationLabel
        fields = ["kind", "name", "certifier", "number", "valid_from", "valid_until"]
        widgets = {"valid_from": DateInput(), "valid_until": DateInput()}


class RegistryEventForm(forms.ModelForm):
    class Meta:
        model = RegistryEvent
        fields = ["kind", "date", "reference", "note"]
        widgets = {"date": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}


class VerificationForm(forms.ModelForm):
    """A verification visit (cooperatives.verification): the day, what was found, the
    phone's point (optional: static/js/forms.js fills it where the browser can locate)."""

    class Meta:
        model = VerificationVisit
        # The point last: the "Use my position" button follows it.
        fields = ["visited_on", "outcome", "new_locality", "note", "latitude", "longitude"]
        widgets = {"visited_on": DateInput(), "outcome": forms.RadioSelect,
                   "note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"new_locality": _("Only when the organisation has moved: where it is "
                                        "now."),
                      "latitude": _("Optional: where the visit took place.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate
        self.fields["outcome"].choices = VerificationVisit.Outcome.choices  # no empty radio
        _point_and_phone_hints(self)
        self.fields["latitude"].help_text = _("Optional: where the visit took place, in "
                                              "decimal degrees, for example 3.8667.")


def _proposal_fields() -> dict:
    names = [n for n in SELF_SERVICE_FIELDS + REVIEWED_FIELDS if n != "filieres"]
    fields = fields_for_model(Organisation, fields=names,
                              widgets={"description": forms.Textarea(attrs={"rows": 3})})
    fields["filieres"] = forms.ModelMultipleChoiceField(
        queryset=Filiere.objects.none(), label=_("Filières"), to_field_name="code",
        widget=FiliereCheckboxes,
        help_text=_("All the filières of the organisation, the primary one included."))
    return fields


class ChangeProposalForm(forms.Form):
    """A representative's proposal: contacts, description and map point apply at once; legal
    form, RSC number, status, filières and member counts wait for the CTD agent."""

    instant_fields = SELF_SERVICE_FIELDS
    reviewed_fields = REVIEWED_FIELDS

    def __init__(self, *args, organisation: Organisation, **kwargs):
        initial = model_to_dict(organisation, fields=[
            n for n in SELF_SERVICE_FIELDS + REVIEWED_FIELDS if n != "filieres"])
        initial["filieres"] = list(organisation.filieres.values_list("code", flat=True))
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(_proposal_fields())
        self.fields["filieres"].queryset = filiere_queryset()
        _count_fields_optional(self, organisation)
        _point_and_phone_hints(self)
        # Without its person's consent the contact is neither shown nor proposed: the
        # representative records the consent first (the consent page).
        self.contact_note = contact_hidden_reason(organisation)
        if self.contact_note:
            for name in CONTACT_FIELDS:
                del self.fields[name]

    def instant(self):
        return [self[name] for name in self.instant_fields if name in self.fields]

    def reviewed(self):
        return [self[name] for name in self.reviewed_fields]

    def values(self) -> dict:
        values = dict(self.cleaned_data)
        values["filieres"] = [f.code for f in values["filieres"]]
        return values


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))],
                                 widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason (required to reject)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class PartnerCommuneForm(forms.Form):
    commune = forms.ModelChoiceField(queryset=Commune.objects.order_by("name_fr"),
                                     to_field_name="pcode", label=_("Partner's commune"))


class LinkProposeForm(forms.ModelForm):
    class Meta:
        model = CooperationLink
        fields = ["target", "kind", "start_date", "note"]
        widgets = {"start_date": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, source: Organisation, partner_commune: Commune, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            Organisation.objects.in_commune(partner_commune).exclude(pk=source.pk)
            .exclude(status=OrganisationStatus.DISSOLVED).only("pk", "name"))


class LinkNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class RelessForm(forms.ModelForm):
    class Meta:
        model = Reless
        fields = ["name", "founded_on", "status"]
        widgets = {"founded_on": DateInput()}


class BureauMemberForm(forms.ModelForm):
    class Meta:
        model = BureauMember
        fields = ["person_name", "office", "organisation", "mandate_start", "mandate_end"]
        widgets = {"mandate_start": DateInput(), "mandate_end": DateInput()}

    def __init__(self, *args, commune: Commune, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            Organisation.objects.in_commune(commune).only("pk", "name"))


class RelessMemberForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                          label=_("Organisation"))
    since = forms.DateField(label=_("Member since"), required=False, widget=DateInput(),
                            help_text=_("Leave empty to record that it is not a member."))

    def __init__(self, *args, commune: Commune, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            Organisation.objects.in_commune(commune).only("pk", "name"))


class TerritoryForm(forms.Form):
    """A project territory proposed by a CTD agent or created by the admin."""

    name = forms.CharField(label=_("Name"), max_length=200)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ProjectTerritory.Purpose.choices)
    filiere = forms.ModelChoiceField(label=_("Filière focus"), required=False,
                                     queryset=Filiere.objects.order_by("code"))
    communes = forms.ModelMultipleChoiceField(
        label=_("Member communes"), queryset=Commune.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("At least two; they may lie in different departments and regions. Each "
                    "commune's CTD agent confirms its membership."))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        communes = self.fields["communes"]
        communes.queryset = (Commune.objects.select_related("department").defer("boundary")
                             .order_by("name_fr", "pcode"))
        # Names repeat across the country: each commune with its department.
        communes.label_from_instance = lambda c: f"{c.name} ({c.department.name})"
