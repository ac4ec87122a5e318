"""Who is told what when the registry changes, and what awaits a CTD agent or a
representative in the menu. The services call the event functions inside their
transaction; `accounts.notifications.notify` keeps the notices and e-mails them after the
commit. Notices go to representatives (the people outside the commune's office); the
person who acted is never told of their own act."""

from collections.abc import Iterable

from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.notifications import Awaiting, count_of, notify
from communes.models import Commune
from sectors.models import Filiere

from .models import (
    ChangeRequest,
    CooperationLink,
    DuplicateFlag,
    LinkStatus,
    ProjectTerritory,
    Role,
    RoleAssignment,
    TerritoryMembership,
)
from .permissions import scope_of

Kind = Notification.Kind


def representatives_of(organisation_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active representatives of each organisation, by organisation id (one query)."""
    found: dict[int, list[User]] = {}
    rows = (RoleAssignment.objects.filter(role=Role.REPRESENTATIVE,
                                          organisation_id__in=set(organisation_ids),
                                          user__is_active=True).select_related("user"))
    for row in rows:
        found.setdefault(row.organisation_id, []).append(row.user)
    return found


def bilingual(label) -> dict[str, str]:
    """A translatable label (a choice's) in both languages, stored with a notice."""
    values = {}
    for code in ("fr", "en"):
        with translation.override(code):
            values[code] = str(label)
    return values


# Events -------------------------------------------------------------------------------------

def change_request_decided(change_request: ChangeRequest, *, by) -> None:
    """Tell the person who asked for the change that it was approved or rejected (with the
    reviewer's reason)."""
    requester = change_request.requested_by
    if requester.pk == by.pk:
        return
    approved = change_request.status == ChangeRequest.Status.APPROVED
    notify([requester], Kind.CHANGE_APPROVED if approved else Kind.CHANGE_REJECTED,
           params={"organisation": change_request.organisation.name,
                   "reason": change_request.reason},
           url=reverse("change_request_detail", args=[change_request.pk]),
           organisation_id=change_request.organisation_id, object_type="change_request",
           object_id=change_request.pk)


def link_changed(link: CooperationLink, kind: str, *, by) -> None:
    """Tell the representatives of both organisations of the link (but the person who
    acted) that it was proposed, confirmed, refused or ended."""
    reps = representatives_of([link.source_id, link.target_id])
    params = {"source": link.source.name, "target": link.target.name,
              "link_kind": bilingual(link.get_kind_display())}
    url = reverse("link_detail", args=[link.pk])
    for organisation_id in dict.fromkeys([link.source_id, link.target_id]):
        people = [user for user in reps.get(organisation_id, []) if user.pk != by.pk]
        # One notice per person: a representative of both ends is told once.
        if organisation_id == link.target_id and link.source_id in reps:
            people = [user for user in people if user not in reps[link.source_id]]
        if people:
            notify(people, kind, params=params, url=url, organisation_id=organisation_id,
                   object_type="link", object_id=link.pk)


def opportunities_found(pairs: list[tuple[dict, str]]) -> int:
    """Tell the representatives of both organisations of each new opportunity (an
    opportunity of a cooperation report, with the report's URL) about it, once per
    organisation and partner whatever the later runs; how many notices were made."""
    if not pairs:
        return 0
    org_ids = {i for opportunity, _url in pairs for i in opportunity["organisations"]}
    reps = representatives_of(org_ids)
    told = set(Notification.objects.filter(kind=Kind.OPPORTUNITY, organisation_id__in=org_ids)
               .values_list("recipient_id", "organisation_id", "object_id"))
    names = _filiere_names({code for opportunity, _url in pairs
                            for code in opportunity.get("filieres", [])})
    made = 0
    for opportunity, url in pairs:
        ids, labels = opportunity["organisations"], opportunity.get("names") or ["", ""]
        for me, partner, my_name, partner_name in ((ids[0], ids[1], *labels),
                                                   (ids[1], ids[0], *reversed(labels))):
            people = [user for user in reps.get(me, [])
                      if (user.pk, me, partner) not in told]
            if not people:
                continue
            filieres = [names.get(code, {"fr": code, "en": code})
                        for code in opportunity.get("filieres", [])]
            made += len(notify(people, Kind.OPPORTUNITY, params={
                "organisation": my_name, "partner": partner_name,
                "filieres": {code: ", ".join(f[code] for f in filieres) for code in ("fr", "en")},
            }, url=url, organisation_id=me, object_type="organisation", object_id=partner))
    return made


def _filiere_names(codes: set[str]) -> dict[str, dict[str, str]]:
    return {code: {"fr": fr, "en": en or fr} for code, fr, en in
            Filiere.objects.filter(code__in=codes).values_list("code", "name_fr", "name_en")}


# What awaits a person -----------------------------------------------------------------------

def awaiting(user) -> Awaiting | None:
    """For a CTD agent, per commune: the pending change requests, the link proposals
    waiting for the commune's side, the open possible duplicates (and, over its communes,
    the project territories proposed and waiting for their confirmation); for a representative,
    the link proposals waiting for their organisation's confirmation."""
    scope = scope_of(user)
    if not (scope.commune_ids or scope.organisation_ids):
        return None
    values = {}
    communes = sorted(scope.commune_ids)
    for pk in communes:
        values.update({
            f"c{pk}_pcode": Subquery(Commune.objects.filter(pk=pk).values("pcode")[:1]),
            f"c{pk}_fr": Subquery(Commune.objects.filter(pk=pk).values("name_fr")[:1]),
            f"c{pk}_en": Subquery(Commune.objects.filter(pk=pk).values("name_en")[:1]),
            f"c{pk}_requests": count_of(ChangeRequest.objects.filter(
                organisation__commune_id=pk, status=ChangeRequest.Status.PENDING)),
            f"c{pk}_links_in": count_of(_proposed().filter(target__commune_id=pk,
                                                           target_confirmed=False)),
            f"c{pk}_links_out": count_of(_proposed().filter(source__commune_id=pk,
                                                            source_confirmed=False)),
            f"c{pk}_duplicates": count_of(DuplicateFlag.objects.filter(
                org_a__commune_id=pk, status=DuplicateFlag.Status.OPEN)),
        })
    if communes:
        values["territories"] = count_of(TerritoryMembership.objects.filter(
            commune_id__in=communes, confirmed_at__isnull=True,
            territory__status=ProjectTerritory.Status.PROPOSED).values("territory_id"))
    mine = sorted(scope.organisation_ids)
    if mine:
        values["org_links"] = count_of(_proposed().filter(
            Q(target_id__in=mine, target_confirmed=False)
            | Q(source_id__in=mine, source_confirmed=False)))

    def items(row: dict) -> list[tuple[str, str, int]]:
        found = []
        for pk in communes:
            pcode, where = row[f"c{pk}_pcode"], ""
            if len(communes) > 1:
                english = translation.get_language() == "en" and row[f"c{pk}_en"]
                where = f" ({english or row[f'c{pk}_fr']})"
            found += [
                (_("Change requests to review") + where,
                 reverse("commune_change_requests", args=[pcode]), row[f"c{pk}_requests"]),
                (_("Links to confirm") + where, reverse("commune_links", args=[pcode]),
                 row[f"c{pk}_links_in"] + row[f"c{pk}_links_out"]),
                (_("Possible duplicates to decide") + where,
                 reverse("quality:duplicate_queue", args=[pcode]), row[f"c{pk}_duplicates"]),
            ]
        if communes:
            found.append((_("Project territories to confirm"), reverse("territory_list"),
                          row["territories"]))
        if mine:
            found.append((_("Links to confirm"), _links_page(mine), row["org_links"]))
        return found

    return Awaiting(values=values, items=items)


def _proposed():
    return CooperationLink.objects.filter(status=LinkStatus.PROPOSED)


def _links_page(organisation_ids: list[int]) -> str:
    """Where a representative confirms links: their (first) organisation's page."""
    return reverse("organisation_detail", args=[organisation_ids[0]])
