"""Each role's menu: the same entries on every page the role reaches (issue 14).

One function builds it from the user's scope: the header's menu for every role and, for a
CTD agent, the commune's tab bar shown under the header on every page. What a role's entries
point to is fixed by the role, never by the page being shown (the page only marks the entry
it belongs to as current). The places the menu names (the agent's commune, the
representative's organisation and its commune, the analyst's ministry) are read once and
cached until a role assignment or the reference data change.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.notifications import menu_counts
from communes.models import Commune
from cooperatives import freshness
from cooperatives.models import Organisation
from cooperatives.permissions import scope_of
from sectors.models import Ministry


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    count: int = 0
    current: bool = False


@dataclass(frozen=True)
class Menu:
    """`entries`: the header's menu; `tabs`: the agent's commune tab bar (empty for others);
    `tabs_label`: what the tab bar is about (the commune's name)."""

    entries: tuple[Entry, ...]
    tabs: tuple[Entry, ...] = ()
    tabs_label: str = ""
    role: str = "public"


def role_menu(request) -> dict:
    """Context processor: `menu`, built only when a template shows it (JSON and CSV answers
    never pay for it)."""
    return {"menu": SimpleLazyObject(lambda: menu_for(request))}


def menu_for(request) -> Menu:
    user = request.user
    scope = scope_of(user)
    path = request.path
    if not user.is_authenticated:
        return _marked(Menu(entries=_public()), path)
    places = _places(user, scope)
    counts = _counts(user)
    if scope.is_admin:
        menu = Menu(entries=_admin() + _account(user, counts), role="admin")
    elif places["commune"]:
        menu = Menu(entries=_agent_entries(places["commune"]) + _account(user, counts),
                    tabs=_agent_tabs(places["commune"], counts), role="agent",
                    tabs_label=places["commune"]["name"])
    elif places["organisation"]:
        menu = Menu(entries=_representative(places["organisation"], counts)
                    + _account(user, counts), role="representative")
    elif places["ministry"]:
        menu = Menu(entries=_analyst(places["ministry"]) + _account(user, counts),
                    role="analyst")
    elif scope.is_reviewer:
        menu = Menu(entries=_reviewer() + _account(user, counts), role="reviewer")
    else:
        menu = Menu(entries=_public(signed_in=True) + _account(user, counts), role="none")
    return _marked(_counted(menu, counts["by_path"]), path)


def _counted(menu: Menu, by_path: dict[str, int]) -> Menu:
    """Each entry and tab with the count of what awaits on its page (notices keep theirs)."""
    def count(entries):
        return tuple(Entry(e.label, e.url, e.count or by_path.get(_path(e.url), 0))
                     for e in entries)
    return Menu(entries=count(menu.entries), tabs=count(menu.tabs), tabs_label=menu.tabs_label,
                role=menu.role)


def _marked(menu: Menu, path: str) -> Menu:
    """The entry (and tab) the page belongs to: the longest URL path the page's path starts
    with, so /communes/X/organisations/new/ marks "Registry"."""
    def mark(entries):
        best = max((e for e in entries if _under(path, e.url)), key=lambda e: len(_path(e.url)),
                   default=None)
        return tuple(Entry(e.label, e.url, e.count, e is best) for e in entries)
    return Menu(entries=mark(menu.entries), tabs=mark(menu.tabs), tabs_label=menu.tabs_label,
                role=menu.role)


def _path(url: str) -> str:
    return url.split("?")[0].split("#")[0]


def _under(path: str, url: str) -> bool:
    target = _path(url)
    return path == target or (target != "/" and path.startswith(target))


def _places(user, scope) -> dict:
    """The agent's first commune, the representative's first organisation (with its
    commune), the analyst's first ministry: plain values, cached per user."""
    def compute() -> dict:
        commune = organisation = ministry = None
        if scope.commune_ids:
            c = Commune.objects.filter(pk__in=scope.commune_ids).defer("boundary") \
                .order_by("pcode").first()
            commune = {"pcode": c.pcode, "name": c.name}
        if scope.organisation_ids:
            o = (Organisation.objects.filter(pk__in=scope.organisation_ids)
                 .select_related("commune").only("pk", "name", "commune__pcode")
                 .order_by("pk").first())
            organisation = {"pk": o.pk, "name": o.name, "commune__pcode": o.commune.pcode}
        if scope.ministry_ids:
            m = Ministry.objects.filter(pk__in=scope.ministry_ids).order_by("acronym").first()
            ministry = {"acronym": m.acronym, "name": m.name}
        return {"commune": commune, "organisation": organisation, "ministry": ministry}

    return freshness.cached(f"menu:places:v1:{user.pk}:{get_language()}",
                            [freshness.ROLES, freshness.REFERENCE], compute)


def _counts(user) -> dict:
    """What awaits the user and their unread notices (accounts.notifications, one query),
    with the awaiting counts keyed by the path of the page where they are dealt with."""
    counts = menu_counts(user)
    by_path = {}
    for _label, url, n in counts["awaiting_items"]:
        by_path[_path(url)] = by_path.get(_path(url), 0) + n
    return {**counts, "by_path": by_path}


def _public(*, signed_in: bool = False) -> tuple[Entry, ...]:
    entries = (Entry(_("Overview"), reverse("home")),
               Entry(_("Map"), reverse("reports:map")),
               Entry(_("Open data"), reverse("quality:open_data")))
    if not signed_in:
        entries += (Entry(_("Log in"), reverse("login")),)
    return entries


def _account(user, counts: dict) -> tuple[Entry, ...]:
    return (Entry(_("Notifications"), reverse("notifications"), counts.get("unread", 0)),
            Entry(_("Password"), reverse("password_change")))


def _admin() -> tuple[Entry, ...]:
    return (Entry(_("Organisations"), reverse("organisation_list_all")),
            Entry(_("National quality"), reverse("quality:scorecards")),
            Entry(_("Possible duplicates"), reverse("quality:duplicates_national")),
            Entry(_("Imports"), reverse("quality:import_list")),
            Entry(_("Integrity checks"), reverse("integrity")),
            Entry(_("Report runs"), reverse("report_runs")),
            Entry(_("Convergence (national)"), reverse("reports:convergence_national")),
            Entry(_("Cooperation (national)"), reverse("reports:cooperation_national")),
            Entry(_("Statistics of cooperatives (ILO)"), reverse("ilo_statistics")),
            Entry(_("Project territories"), reverse("territory_list")),
            Entry(_("Years to sign off"), reverse("reports:signoff_queue")),
            Entry(_("Support programmes"), reverse("programme_list")),
            Entry(_("Personal data"), reverse("privacy:request_list")),
            Entry(_("Administration"), reverse("admin:index")))  # Django's own pages


def _agent_entries(commune: dict) -> tuple[Entry, ...]:
    return (Entry(_("Dashboard"), reverse("commune_dashboard", args=[commune["pcode"]])),
            Entry(_("Project territories"), reverse("territory_list")),
            Entry(_("Personal data"), reverse("privacy:request_list")),
            Entry(_("Work offline"), reverse("offline:workspace")))


def _agent_tabs(commune: dict, counts: dict) -> tuple[Entry, ...]:
    pcode = commune["pcode"]
    return (
        Entry(_("Dashboard"), reverse("commune_dashboard", args=[pcode])),
        Entry(_("Registry"), reverse("organisation_list", args=[pcode])),
        Entry("RELESS", reverse("reless_detail", args=[pcode])),
        Entry(_("Links"), reverse("commune_links", args=[pcode])),
        Entry(_("Change requests"), reverse("commune_change_requests", args=[pcode])),
        Entry(_("Diagnostics"), reverse("diagnostic_list", args=[pcode])),
        Entry(_("Interventions"), reverse("commune_interventions", args=[pcode])),
        Entry(_("Support programmes"), reverse("programme_list") + "?"
              + urlencode({"commune": pcode})),
        Entry(_("Reports"), reverse("reports:convergence_commune", args=[pcode])),
        Entry(_("Sign-off"), reverse("reports:signoff_commune", args=[pcode])),
        Entry(_("Import"), reverse("quality:import_start", args=[pcode])),
        Entry(_("Quality"), reverse("quality:duplicate_queue", args=[pcode])),
    )


def _representative(organisation: dict, counts: dict) -> tuple[Entry, ...]:
    pcode = organisation["commune__pcode"]
    return (Entry(_("Our space"), reverse("our_space")),
            Entry(_("Our organisation"), reverse("organisation_detail",
                                                 args=[organisation["pk"]])),
            Entry(_("Suggested partners"), reverse("my_suggestions")),
            Entry(_("Our requests"), reverse("my_requests")),
            Entry(_("Reports of the commune"),
                  reverse("reports:convergence_commune", args=[pcode])),
            Entry(_("Work offline"), reverse("offline:workspace")))


def _analyst(ministry: dict) -> tuple[Entry, ...]:
    acronym = ministry["acronym"]
    return (Entry(_("Convergence (national)"), reverse("reports:convergence_national")
                  + "?" + urlencode({"ministry": acronym})),
            Entry(_("Cooperation (national)"), reverse("reports:cooperation_national")),
            Entry(_("Project territories"), reverse("territory_list")),
            Entry(_("Map"), reverse("reports:map")),
            Entry(_("Statistics of cooperatives (ILO)"), reverse("ilo_statistics")),
            Entry(_("Our interventions"),
                  reverse("ministry_interventions", args=[acronym])),
            Entry(_("Record an intervention"), reverse("intervention_start")),
            Entry(_("Support programmes"), reverse("programme_list") + "?"
                  + urlencode({"ministry": acronym})),
            Entry(_("API and tokens"), reverse("api-docs") + "#token"))


def _reviewer() -> tuple[Entry, ...]:
    """The sign-off queue is also the reviewer's territory page (its communes, their reports
    and the organisations' download)."""
    return (Entry(_("Years to sign off"), reverse("reports:signoff_queue")),
            Entry(_("Map"), reverse("reports:map")))
