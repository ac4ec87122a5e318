"""Forms shape and check input only; the services in services.py do the writing."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cooperatives.imports import UnreadableFile
from cooperatives.models import Organisation
from core.years import YEAR_MAX, YEAR_MIN
from sectors.models import Filiere, Sector

from .imports import MAX_UPLOAD_BYTES, check_upload
from .models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)

RANK_MAX = 999
AMOUNT_MAX = 10**15  # FCFA; far above any budget, and within every database's integer range


def _sectors():
    return Sector.objects.select_related("ministry").order_by("name_fr")


class SectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.ministry.acronym})"


class DiagnosticForm(forms.ModelForm):
    year = forms.IntegerField(label=capfirst(_("year")), min_value=YEAR_MIN, max_value=YEAR_MAX)

    class Meta:
        model = TerritorialDiagnostic
        fields = ["year", "source"]


class DiagnosticCreateForm(DiagnosticForm):
    copy_from = forms.ModelChoiceField(
        label=_("Start as a copy of"), required=False,
        queryset=TerritorialDiagnostic.objects.none(),
        empty_label=_("(an empty diagnostic)"),
        help_text=_("Its needs, project ideas, actors and resources are copied into the new "
                    "draft."))

    def __init__(self, *args, commune, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = TerritorialDiagnostic.objects.filter(commune=commune)


class CopyForm(forms.Form):
    year = forms.IntegerField(label=capfirst(_("year")), min_value=YEAR_MIN, max_value=YEAR_MAX)


class EntryForm(forms.ModelForm):
    sector = SectorChoiceField(label=capfirst(_("sector")), queryset=_sectors())
    priority_rank = forms.IntegerField(label=capfirst(_("priority rank")), min_value=1,
                                       max_value=RANK_MAX,
                                       help_text=_("1 is the most urgent need of the sector."))

    class Meta:
        model = DiagnosticEntry
        fields = ["sector", "level", "locality", "problem", "potentials", "need",
                  "priority_rank"]
        widgets = {name: forms.Textarea(attrs={"rows": 2})
                   for name in ("problem", "potentials", "need")}


class ProjectIdeaForm(forms.ModelForm):
    sector = SectorChoiceField(label=capfirst(_("sector")), queryset=_sectors(), required=False)
    cost_estimate = forms.IntegerField(label=capfirst(_("cost estimate (FCFA)")), required=False,
                                       min_value=0, max_value=AMOUNT_MAX)
    rank = forms.IntegerField(label=capfirst(_("rank")), min_value=0, max_value=RANK_MAX, initial=1)
    year = forms.IntegerField(label=capfirst(_("year")), required=False, min_value=YEAR_MIN,
                              max_value=YEAR_MAX)

    class Meta:
        model = ProjectIdea
        fields = ["sector", "title", "locality", "cost_estimate", "rank", "year", "status"]


class ActorForm(forms.ModelForm):
    sector = SectorChoiceField(label=capfirst(_("sector")), queryset=_sectors(), required=False)

    class Meta:
        model = DiagnosticActor
        fields = ["name", "kind", "sector", "role"]


class ResourceForm(forms.ModelForm):
    class Meta:
        model = TerritorialResource
        fields = ["kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"),
                           help_text=_("One row per need, with the columns of the template."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Choose a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 10 MB: split it."))
        try:  # the zip directory and declared sizes, before any parsing
            check_upload(upload.read(), upload.name)
        except UnreadableFile as error:
            raise ValidationError(str(error)) from None
        upload.seek(0)
        return upload


class FiliereChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.sector.name})"


class InterventionForm(forms.ModelForm):
    """An intervention in one commune. Every ministry is accepted here while the list offers
    only those the user may choose: the service refuses the others (403, nothing written)."""

    filiere = FiliereChoiceField(label=capfirst(_("filière")), required=False,
                                 queryset=Filiere.objects.select_related("sector")
                                 .order_by("name_fr"))
    sector = SectorChoiceField(label=capfirst(_("sector")), queryset=_sectors(), required=False,
                               help_text=_("Give a filière or a sector (or both)."))
    budget = forms.IntegerField(label=capfirst(_("budget (FCFA)")), min_value=0,
                                max_value=AMOUNT_MAX, initial=0)
    beneficiaries = forms.ModelMultipleChoiceField(
        label=capfirst(_("beneficiary organisations")), required=False,
        queryset=Organisation.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Organisations of the commune only."))

    class Meta:
        model = Intervention
        fields = ["ministry", "programme", "filiere", "sector", "start_date", "end_date",
                  "budget", "beneficiaries"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, commune, ministries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiaries"].queryset = (Organisation.objects.in_commune(commune)
                                                 .only("id", "name").order_by("name", "id"))
        choices = [(m.pk, f"{m.acronym} · {m.name}") for m in ministries]
        self.fields["ministry"].widget.choices = [("", "---------"), *choices]
        if len(choices) == 1 and not self.is_bound and self.instance.pk is None:
            self.initial["ministry"] = choices[0][0]


class InterventionStartForm(forms.Form):
    commune = forms.CharField(label=_("Commune P-code"), max_length=16)
