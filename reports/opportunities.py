"""Acting on the cooperation report: which organisations a reader may open (their names link
to their pages) and proposing the link an opportunity suggests.

Both rest on `organisations_visible_to`: the organisations a user sees in full are exactly
those they speak for in a link (admins every one, CTD agents their commune's,
representatives their own; see `cooperatives.services`). So a reader may act on an
opportunity when they see at least one of its two organisations, and the link starts from
that one."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from communes.models import Commune
from cooperatives import services
from cooperatives.models import CooperationLink, Organisation
from cooperatives.permissions import organisations_visible_to

from .cooperation_presenter import named_organisations, organisation_ids_on_page
from .models import ReportRun


def link_names(user, page: dict) -> set[int]:
    """Give every organisation named on a shaped cooperation page that `user` may open its
    page's address (`href`, else None) and return their ids: one query whatever the number
    of names, none when the page names none. The same set says who may act on an
    opportunity (see the module's docstring)."""
    if "opportunities" not in page:
        return set()
    ids = organisation_ids_on_page(page)
    openable = set(organisations_visible_to(user).filter(pk__in=ids)
                   .values_list("pk", flat=True)) if ids else set()
    pattern = reverse("organisation_detail", args=[0]).replace("/0/", "/{}/")
    for named in named_organisations(page):
        named["href"] = pattern.format(named["id"]) if named["id"] in openable else None
    return openable


def opportunity_of(run: ReportRun | None, pair: list[int]) -> dict:
    """The stored opportunity of the run joining the two organisations, else 404."""
    wanted = sorted(pair)
    for opportunity in ((run.result or {}).get("opportunities") or []) if run else []:
        if sorted(opportunity["organisations"]) == wanted:
            return opportunity
    raise Http404


def opportunity_propose(*, user, commune: Commune, opportunity: dict) -> CooperationLink:
    """Propose the opportunity's suggested link, from the organisation of the pair the user
    speaks for (the first one when both), through the registry's one `link_propose`: the
    other side confirms as for any proposal. PermissionDenied when the user speaks for
    neither; 404 when one of them has left the commune since the run."""
    pair = Organisation.objects.filter(pk__in=opportunity["organisations"], commune=commune)
    organisations = {o.pk: o for o in pair}
    if len(organisations) != 2:
        raise Http404
    mine = set(organisations_visible_to(user, pair).values_list("pk", flat=True))
    ordered = [organisations[i] for i in opportunity["organisations"]]
    source = next((o for o in ordered if o.pk in mine), None)
    if source is None:
        raise PermissionDenied
    target = next(o for o in ordered if o is not source)
    return services.link_propose(user=user, source=source, target=target,
                                 kind=opportunity["suggested_kind"])
