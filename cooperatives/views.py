from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from communes.models import Commune
from sectors.models import Ministry

from . import freshness
from .models import Organisation
from .permissions import scope_of
from .selectors_public import territory_tree


@require_safe
def home(request):
    """Public: the regions with their departments and communes and organisation counts."""
    territory = freshness.cached(f"home:territory:v1:{get_language()}", [freshness.NATIONAL],
                                 _territory_html)
    return render(request, "cooperatives/home.html", {"territory": territory})


def _territory_html() -> str:
    """The home page's territory list, rendered in the active language.

    Cached as HTML (about 400 names and counts render in tens of milliseconds) and kept as
    long as no organisation and no reference data changed; a plain `str`, marked safe where
    it is shown (every value is escaped here)."""
    tree = territory_tree()
    html = render_to_string("cooperatives/_territory.html",
                            {"tree": tree, "total": sum(r["organisations"] for r in tree)})
    return str.__str__(html)  # the text without its SafeString class


@require_safe
def commune_public(request, pcode):
    """Public: a commune and the names of its organisations (no contacts)."""
    commune = get_object_or_404(Commune.objects.select_related("department__region"),
                                pcode=pcode)
    organisations = (Organisation.objects.in_commune(commune)
                     .select_related("primary_filiere").order_by("name", "id"))
    page = Paginator(organisations, 50).get_page(request.GET.get("page"))
    return render(request, "cooperatives/commune_public.html",
                  {"commune": commune, "page": page})


def my_space(request):
    """Send a signed-in user to where their work is: CTD agents to their commune's dashboard,
    representatives to their space, admins to the national list, analysts to the national
    convergence report of their ministry, reviewers to the years waiting for their step, others
    home."""
    if not request.user.is_authenticated:
        return redirect("login")
    scope = scope_of(request.user)
    if scope.commune_ids:
        commune = Commune.objects.filter(pk__in=scope.commune_ids).order_by("pcode").first()
        return redirect("commune_dashboard", pcode=commune.pcode)
    if scope.organisation_ids:
        return redirect("our_space")
    if scope.is_admin:
        return redirect("organisation_list_all")
    if scope.ministry_ids:
        acronym = (Ministry.objects.filter(pk__in=scope.ministry_ids).order_by("acronym")
                   .values_list("acronym", flat=True).first())
        return redirect(f"{reverse('reports:convergence_national')}?ministry={acronym}")
    if scope.is_reviewer:
        return redirect("reports:signoff_queue")
    return redirect("home")
