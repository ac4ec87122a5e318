"""The public commune page. It sits here, above the registry, because it shows the
commune's latest validated diagnostic beside its organisations (STYLE.md, floors)."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from communes.models import Commune
from cooperatives.models import Organisation
from cooperatives.selectors_public import commune_public_figures

from .selectors import public_priority_needs

PAGE_SIZE = 50


@require_safe
def commune_public(request, pcode):
    """Public: the commune's figures (registered organisations, by filière and legal form),
    its RELESS and the offices of its bureau, the priority needs of its latest validated
    diagnostic, and its registered organisations by name. No person, no contact."""
    commune = get_object_or_404(Commune.objects.select_related("department__region")
                                .defer("boundary"), pcode=pcode)
    organisations = (Organisation.objects.registered().in_commune(commune)
                     .select_related("primary_filiere").order_by("name", "id")
                     .only("id", "name", "legal_form", "status", "members_total",
                           "primary_filiere__code", "primary_filiere__name_fr",
                           "primary_filiere__name_en"))
    return render(request, "cooperatives/commune_public.html", {
        "commune": commune, "public": commune_public_figures(commune),
        "needs": public_priority_needs(commune.pk),
        "page": Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))})
