"""The sign-off as the commune dashboard tells it (handed to `cooperatives.year_notes` at
start-up): each year returned to the agent, with its last step (who returned it, when, the
reason), and one line on the commune's previous year ("Sign-off of 2025: submitted on 3 Dec 2026,
waiting for the departmental reviewer."). One query: the last step of each of those years."""

from collections.abc import Iterable

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.notifications import Awaiting, count_of
from communes.models import Commune
from cooperatives.permissions import scope_of

from .models import SignoffStep, YearSignoff

State = YearSignoff.State


def dashboard_notes(commune: Commune, commune_ids: Iterable[int]) -> dict:
    """`returned`: the last step (a return) of every returned year of the commune and of
    `commune_ids`, by year then commune; `latest`: the sentence on the commune's previous
    year, empty when that year is returned (its notice says it)."""
    previous = timezone.localdate().year - 1
    last = SignoffStep.objects.filter(signoff=OuterRef("signoff")).order_by("-id").values("id")
    ids = {commune.pk, *commune_ids}
    steps = list(SignoffStep.objects
                 .filter(Q(signoff__state=State.RETURNED, signoff__commune_id__in=ids)
                         | Q(signoff__commune=commune, signoff__year=previous))
                 .filter(id=Subquery(last[:1]))
                 .select_related("signoff__commune", "by")
                 .order_by("signoff__year", "signoff__commune__pcode"))
    returned = [step for step in steps if step.signoff.state == State.RETURNED]
    mine = next((step for step in steps if step.signoff.commune_id == commune.pk
                 and step.signoff.year == previous), None)
    return {"returned": returned, "latest": _latest_line(previous, mine)}


def _latest_line(year: int, step: SignoffStep | None) -> str:
    """Where the year stands, who must act next, in a sentence."""
    if step is None:
        return _("Sign-off of %(year)s: not submitted yet.") % {"year": year}
    state = step.signoff.state
    values = {"year": year, "date": dateformat.format(timezone.localtime(step.at), "j N Y")}
    if state == State.RETURNED:
        return ""
    if state == State.SUBMITTED:
        return _("Sign-off of %(year)s: submitted on %(date)s, waiting for the "
                 "departmental reviewer.") % values
    if state == State.DEPARTMENT_APPROVED:
        return _("Sign-off of %(year)s: approved by the department on %(date)s, "
                 "waiting for the regional reviewer.") % values
    if state == State.APPROVED:
        return _("Sign-off of %(year)s: approved by the region on %(date)s, waiting "
                 "for the national admin to close it.") % values
    if state == State.CLOSED:
        return _("Sign-off of %(year)s: closed on %(date)s.") % values
    return _("Sign-off of %(year)s: reopened on %(date)s, to be submitted again.") % values


def awaiting(user) -> Awaiting | None:
    """For a CTD agent's menu: the years returned to each of their communes (see
    `accounts.notifications.menu_counts`)."""
    communes = sorted(scope_of(user).commune_ids)
    if not communes:
        return None
    values = {}
    for pk in communes:
        values[f"r{pk}_pcode"] = Subquery(Commune.objects.filter(pk=pk).values("pcode")[:1])
        values[f"r{pk}_fr"] = Subquery(Commune.objects.filter(pk=pk).values("name_fr")[:1])
        values[f"r{pk}_en"] = Subquery(Commune.objects.filter(pk=pk).values("name_en")[:1])
        values[f"r{pk}_returned"] = count_of(YearSignoff.objects.filter(
            commune_id=pk, state=State.RETURNED))

    def items(row: dict) -> list[tuple[str, str, int]]:
        found = []
        for pk in communes:
            where = ""
            if len(communes) > 1:
                english = get_language() == "en" and row[f"r{pk}_en"]
                where = f" ({english or row[f'r{pk}_fr']})"
            found.append((_("Years returned for correction") + where,
                          reverse("reports:signoff_commune", args=[row[f"r{pk}_pcode"]]),
                          row[f"r{pk}_returned"]))
        return found

    return Awaiting(values=values, items=items)
