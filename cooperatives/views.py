from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from communes.models import Commune
from sectors.models import Ministry

from . import freshness, ilo
from .permissions import scope_of
from .selectors_public import national_figures, pick_commune_by_name, territory_tree


@require_safe
def home(request):
    """Public: what the registry is, a commune search by name (?q=), the national figures,
    the map and the regions with their departments and communes. Without ?q= every figure
    comes from the cache (no query on a warm hit)."""
    text = request.GET.get("q", "").strip()[:100]
    pick = pick_commune_by_name(text) if text else None
    if pick and pick.chosen:
        return redirect("commune_public", pcode=pick.chosen.pcode)
    overview = freshness.cached(f"home:overview:v2:{get_language()}", [freshness.NATIONAL],
                                _overview_html)
    return render(request, "cooperatives/home.html",
                  {"overview": overview, "q": text, "pick": pick})


def _overview_html() -> str:
    """The home page's national figures and territory tree, rendered in the active language.

    Cached as HTML (about 400 names and figures render in tens of milliseconds) and kept as
    long as no organisation and no reference data changed; a plain `str`, marked safe where
    it is shown (every value is escaped here)."""
    tree = territory_tree()
    html = render_to_string("cooperatives/_territory.html",
                            {"tree": tree, "country": national_figures(tree),
                             "names": sorted({c["commune"].name for r in tree
                                              for d in r["departments"] for c in d["communes"]})})
    return str.__str__(html)  # the text without its SafeString class


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


@login_required
@require_safe
def ilo_statistics(request):
    """The ILO statistics of cooperatives (cooperatives.ilo) of what the user may aggregate,
    per commune, department, region (?level=) or the country."""
    level = request.GET.get("level", "commune")
    if level not in ilo.LEVELS:
        level = "commune"
    rows = ilo.ilo_statistics_for(request.user, level)
    return render(request, "cooperatives/ilo_statistics.html", {
        "level": level, "levels": ilo.LEVELS, "headers": ilo.figure_labels(),
        "rows": [(row["pcode"], row["name"], [row[name] for name in ilo.FIGURES])
                 for row in rows]})
