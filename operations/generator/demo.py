"""Demo accounts: fixed passwords, for demonstrations only, never in production.

A national admin, a CTD agent per demo commune, the departmental and regional reviewers of the
sign-off demo commune (Babadjou, CM008001001, with the official territory), two cooperative
representatives and two ministry analysts, named like the generated people;
`print_demo_accounts` lists them."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils.text import slugify

from accounts.models import User
from communes.models import Commune
from cooperatives.models import Organisation, Role, RoleAssignment
from sectors.models import Ministry

from .names import FIRST_NAMES, LAST_NAMES, REGION_AREA
from .organisations import COOPERATIVE_FORMS
from .selection import DEMO_REGIONS, demo_departments

DEMO_EMAIL_DOMAIN = "demo.reless.invalid"  # marks the demo accounts (and cannot receive mail)
DEMO_PASSWORDS = {"admin": "demo-admin-reless", "agent": "demo-agent-reless",
                  "reviewer": "demo-relecteur-reless", "rep": "demo-representant",
                  "analyst": "demo-analyste-reless"}
DEMO_ANALYST_MINISTRIES = ("MINADER", "MINEPIA")

def demo_password(username: str) -> str:
    """The fixed demo password of a demo account (by the username's prefix)."""
    return DEMO_PASSWORDS[username.split(".", 1)[0]]


def default_demo_communes(limit: int = 3) -> list[Commune]:
    """Communes for the demo CTD agents: the first commune holding organisations in each demo
    department, completed with the next ones holding organisations."""
    with_orgs = list(Commune.objects.filter(organisations__isnull=False).distinct()
                     .order_by("pcode"))
    departments = {d.pk for d in demo_departments()}
    firsts: dict[int, Commune] = {}
    for commune in with_orgs:
        if commune.department_id in departments:
            firsts.setdefault(commune.department_id, commune)
    chosen = list(firsts.values())
    chosen += [c for c in with_orgs if c not in chosen]
    return sorted(chosen[:limit], key=lambda c: c.pcode)


# The demo commune whose year goes up the sign-off chain (and whose department and region get
# the demo reviewers): the one of the Ouest region, Babadjou with the official territory.
SIGNOFF_DEMO_REGION = DEMO_REGIONS[1]


def signoff_demo_commune(communes: Iterable[Commune]) -> Commune | None:
    """The demo commune of the sign-off: the first of SIGNOFF_DEMO_REGION, else the first."""
    communes = sorted(communes, key=lambda c: c.pcode)
    in_region = [c for c in communes if c.pcode.startswith(SIGNOFF_DEMO_REGION)]
    return (in_region or communes or [None])[0]


def create_demo_accounts(*, communes: Iterable[Commune]) -> list[tuple[str, str, str]]:
    """The demo cast, created once: a national admin, a CTD agent per given commune, the
    departmental and regional reviewers of the sign-off demo commune's department and region,
    two cooperative representatives (organisations of those communes) and MINADER and MINEPIA
    analysts. Returns (username, password, role) for each demo account; running it again
    creates nothing. An existing user with a demo username but not made here is left alone."""
    communes = list(communes)
    accounts = [_demo_account("admin", "Administrateur national (national admin)",
                              role=Role.ADMIN, superuser=True)]
    used: set[str] = set()
    for commune in communes:
        slug = slugify(commune.name_fr) or commune.pcode.lower()
        slug = f"{slug}-{commune.pcode.lower()}" if slug in used else slug
        used.add(slug)
        accounts.append(_demo_account(f"agent.{slug}", f"Agent CTD (CTD agent) — {commune}",
                                      role=Role.CTD_AGENT, commune=commune,
                                      person=_demo_person(len(accounts), commune.pcode[:5])))
    accounts += _demo_reviewers(signoff_demo_commune(communes), start=len(accounts))
    for n, organisation in enumerate(_demo_organisations(communes), start=1):
        accounts.append(_demo_account(
            f"rep.{n}", f"Représentant (cooperative representative) — {organisation}",
            role=Role.REPRESENTATIVE, organisation=organisation,
            person=organisation.contact_name or _demo_person(
                len(accounts), organisation.commune.pcode[:5])))
    analysed = Ministry.objects.filter(acronym__in=DEMO_ANALYST_MINISTRIES).order_by("acronym")
    for ministry in analysed:
        accounts.append(_demo_account(
            f"analyst.{ministry.acronym.lower()}",
            f"Analyste ministériel (ministry analyst) — {ministry.acronym}, lecture seule",
            role=Role.ANALYST, ministry=ministry, person=_demo_person(len(accounts), "CM003")))
    return [account for account in accounts if account]


def _demo_reviewers(commune: Commune | None, *, start: int) -> list:
    """The departmental reviewer of the commune's department and the regional reviewer of its
    region, named `reviewer.<department>` and `reviewer.<region>`."""
    if commune is None:
        return []
    department, region = commune.department, commune.department.region
    region_slug = slugify(region.name_fr) or region.pcode.lower()
    department_slug = slugify(department.name_fr) or department.pcode.lower()
    if department_slug == region_slug:
        department_slug = f"{department_slug}-{department.pcode.lower()}"
    return [
        _demo_account(f"reviewer.{department_slug}",
                      f"Relecteur départemental (departmental reviewer) — {department}",
                      role=Role.DEPARTMENT_REVIEWER, department=department,
                      person=_demo_person(start, region.pcode)),
        _demo_account(f"reviewer.{region_slug}",
                      f"Relecteur régional (regional reviewer) — {region}",
                      role=Role.REGION_REVIEWER, region=region,
                      person=_demo_person(start + 1, region.pcode)),
    ]


def _demo_organisations(communes: list[Commune]) -> list[Organisation]:
    """Two active cooperatives of the communes, registered ones first, by commune and id."""
    candidates = (Organisation.objects.filter(commune__in=communes, status="active",
                                              legal_form__in=COOPERATIVE_FORMS)
                  .select_related("commune")
                  .order_by("commune__pcode", F("rsc_number").asc(nulls_last=True), "id"))
    return list(candidates[:2])


def _demo_person(n: int, region: str) -> str:
    """A name for the n-th demo account, from the region's name lists (pages show people by
    their name, so the demo accounts have one)."""
    area = REGION_AREA.get(region, "beti")
    culture = {"north": "north", "anglo": "en"}.get(area, "fr")
    firsts = FIRST_NAMES[(culture, "f" if n % 2 else "m")]
    return f"{firsts[n % len(firsts)]} {LAST_NAMES[area][n % len(LAST_NAMES[area])]}"


@transaction.atomic
def _demo_account(username: str, description: str, *, role: str, superuser: bool = False,
                  person: str = "", **target) -> tuple[str, str, str] | None:
    email = f"{username}@{DEMO_EMAIL_DOMAIN}"
    first_name, _space, last_name = person.partition(" ")
    user, created = User.objects.get_or_create(username=username, defaults={
        "email": email, "is_staff": superuser, "is_superuser": superuser,
        "first_name": first_name[:150], "last_name": last_name[:150]})
    if created:
        user.set_password(demo_password(username))
        user.save(update_fields=["password"])
    elif user.email != email:
        return None
    if not RoleAssignment.objects.filter(user=user, role=role).exists():
        RoleAssignment.objects.create(user=user, role=role, **target)
    return username, demo_password(username), description


def existing_demo_accounts() -> list[tuple[str, str, str]]:
    """(username, password, roles) of the demo accounts in the database, by username."""
    users = (User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
             .prefetch_related("roles__commune", "roles__organisation", "roles__ministry",
                               "roles__department", "roles__region")
             .order_by("username"))
    rows = []
    for user in users:
        if user.username.split(".", 1)[0] not in DEMO_PASSWORDS:
            continue
        roles = "; ".join(str(r).split(" · ", 1)[-1] for r in user.roles.all()) or "—"
        rows.append((user.username, demo_password(user.username), roles))
    return rows
