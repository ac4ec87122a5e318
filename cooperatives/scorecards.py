"""Registry health scorecards: how complete, fresh and reviewed each commune's registry is.

The organisations of a scorecard are the commune's organisations that are not dissolved
(a dissolved record is closed). For each commune:

- `completeness`: filled required fields ÷ required fields. Required of every organisation:
  a locality, a number of members above 0, a contact (phone or email); and of the OHADA
  forms that the RSC registers (SCOOPS, COOP-CA, union, federation): the RSC number and the
  RSC registration date. Five fields for a cooperative, three for a GIC or an association;
- `freshness`: organisations updated (created, edited, confirmed by an import or a review)
  in the last 365 days ÷ organisations (Organisation.updated_at);
- `map_points`: organisations with a latitude and a longitude ÷ organisations;
- `verification`: organisations verified by a visit in the last 24 months
  (`settings.VERIFICATION_MONTHS`) ÷ organisations: their latest verification visit is on
  or after the same day 24 months before `now`'s date and found them active, dormant or
  moved (`Organisation.objects.verified`, cooperatives.verification). An organisation
  never visited, last visited earlier, or not found at its latest visit is not verified;
- `pending_requests`: change requests waiting for review (any organisation of the commune),
  and `organisations_with_pending`;
- `open_duplicates`: open possible-duplicate flags, and `organisations_in_duplicates`;
- `last_diagnostic_year`: the year of the commune's latest validated territorial diagnostic.

`score` (0-100, one decimal) adds these points:

| component | points | earned |
| --- | --- | --- |
| completeness | 35 | × completeness |
| freshness | 15 | × freshness |
| map points | 10 | × share with a map point |
| verification | 10 | × share verified by a visit in the last 24 months |
| change requests | 10 | × share of organisations with no pending request |
| duplicates | 10 | × share of organisations in no open duplicate flag |
| diagnostic | 10 | all when a diagnostic of the last 5 years (a PCD's span) is validated |

A commune with no organisation earns only the diagnostic's points: an empty registry is not
a healthy one. Ratios are null there.

Freshness weighed 25 until the verification visits came (December 2026): a visit is the
stronger proof that the record is current, and took 10 of its points.

Every commune is computed with five grouped queries, whatever their number. The diagnostic
year comes from the app that holds diagnostics (it stands above this one, so it is never
imported here): at start-up it hands its function to `provide_diagnostic_years`
(DiagnosticsConfig.ready); without it the year is null.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from django.db.models import Count, Q
from django.utils import timezone

from communes.models import Commune

from .models import ChangeRequest, DuplicateFlag, LegalForm, Organisation, verified_condition

WEIGHTS = {"completeness": 35, "freshness": 15, "map_points": 10, "verification": 10,
           "requests": 10, "duplicates": 10, "diagnostic": 10}
FRESH_DAYS = 365
DIAGNOSTIC_YEARS = 5
RSC_FORMS = (LegalForm.SCOOPS, LegalForm.COOP_CA, LegalForm.UNION, LegalForm.FEDERATION)
ORDERINGS = ("score", "-score", "pcode", "-pcode", "name", "-name", "completeness",
             "-completeness", "freshness", "-freshness", "verification", "-verification")


@dataclass
class Scorecard:
    pcode: str
    name: str
    department: str
    region: str
    region_name: str
    organisations: int = 0
    required_fields: int = 0
    filled_fields: int = 0
    completeness: float | None = None
    fresh: int = 0
    freshness: float | None = None
    with_point: int = 0
    map_points: float | None = None
    verified: int = 0
    verification: float | None = None
    pending_requests: int = 0
    organisations_with_pending: int = 0
    open_duplicates: int = 0
    organisations_in_duplicates: int = 0
    last_diagnostic_year: int | None = None
    points: dict | None = None
    score: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def scorecards(commune_ids=None, *, now: datetime.datetime | None = None) -> list[Scorecard]:
    """The scorecards of the given communes (ids; None: every commune), sorted by P-code.
    `now` (default: the current time) sets the freshness window and the diagnostic's age."""
    now = now or timezone.now()
    communes = (Commune.objects.defer("boundary").select_related("department__region")
                .order_by("pcode"))
    if commune_ids is not None:
        communes = communes.filter(pk__in=list(commune_ids))
    cards = {c.pk: Scorecard(pcode=c.pcode, name=c.name, department=c.department.pcode,
                             region=c.department.region.pcode,
                             region_name=c.department.region.name) for c in communes}
    if not cards:
        return []
    ids = list(cards)
    _add_organisations(cards, ids, now)
    _add_requests(cards, ids)
    _add_duplicates(cards, ids)
    for commune_id, year in _diagnostic_years(ids).items():
        cards[commune_id].last_diagnostic_year = year
    for card in cards.values():
        _score(card, now.year)
    return list(cards.values())


def _add_organisations(cards: dict, ids: list[int], now) -> None:
    rsc_form = Q(legal_form__in=RSC_FORMS)
    rows = (Organisation.objects.registered().filter(commune_id__in=ids)
            .values("commune_id")
            .annotate(n=Count("id"), rsc_forms=Count("id", filter=rsc_form),
                      locality=Count("id", filter=~Q(locality="")),
                      members=Count("id", filter=Q(members_total__gt=0)),
                      contact=Count("id", filter=~Q(contact_phone="") | ~Q(contact_email="")),
                      rsc=Count("id", filter=rsc_form & Q(rsc_number__isnull=False)),
                      rsc_date=Count("id", filter=rsc_form & Q(rsc_date__isnull=False)),
                      fresh=Count("id", filter=Q(
                          updated_at__gte=now - datetime.timedelta(days=FRESH_DAYS))),
                      point=Count("id", filter=Q(latitude__isnull=False,
                                                 longitude__isnull=False)),
                      verified=Count("id", filter=verified_condition(
                          timezone.localtime(now).date())))
            .order_by())
    for row in rows:
        card = cards[row["commune_id"]]
        card.organisations = row["n"]
        card.required_fields = 3 * row["n"] + 2 * row["rsc_forms"]
        card.filled_fields = (row["locality"] + row["members"] + row["contact"] + row["rsc"]
                              + row["rsc_date"])
        card.fresh, card.with_point = row["fresh"], row["point"]
        card.verified = row["verified"]


def _add_requests(cards: dict, ids: list[int]) -> None:
    rows = (ChangeRequest.objects.filter(status=ChangeRequest.Status.PENDING,
                                         organisation__commune_id__in=ids)
            .values("organisation__commune_id")
            .annotate(n=Count("id"), organisations=Count("organisation_id", distinct=True))
            .order_by())
    for row in rows:
        card = cards[row["organisation__commune_id"]]
        card.pending_requests, card.organisations_with_pending = row["n"], row["organisations"]


def _add_duplicates(cards: dict, ids: list[int]) -> None:
    involved: dict[int, set[int]] = {}
    for commune_id, a, b in DuplicateFlag.objects.filter(
            status=DuplicateFlag.Status.OPEN, org_a__commune_id__in=ids).values_list(
            "org_a__commune_id", "org_a_id", "org_b_id"):
        cards[commune_id].open_duplicates += 1
        involved.setdefault(commune_id, set()).update((a, b))
    for commune_id, organisations in involved.items():
        cards[commune_id].organisations_in_duplicates = len(organisations)


# commune ids -> {commune id: the year of its latest validated diagnostic}, in one query
DiagnosticYears = Callable[[Iterable[int]], dict[int, int]]
_provided: dict[str, DiagnosticYears] = {}


def provide_diagnostic_years(source: DiagnosticYears) -> None:
    """Called once at start-up by the app that holds diagnostics: how scorecards read the
    latest validated diagnostic year of communes (that app's own rule of "validated")."""
    _provided["diagnostic_years"] = source


def _diagnostic_years(ids: list[int]) -> dict[int, int]:
    """The latest validated diagnostic year per commune id (empty without diagnostics)."""
    source = _provided.get("diagnostic_years")
    return source(ids) if source else {}


def _score(card: Scorecard, this_year: int) -> None:
    n = card.organisations
    card.completeness = _share(card.filled_fields, card.required_fields)
    card.freshness = _share(card.fresh, n)
    card.map_points = _share(card.with_point, n)
    card.verification = _share(card.verified, n)
    recent = (card.last_diagnostic_year is not None
              and card.last_diagnostic_year > this_year - DIAGNOSTIC_YEARS)
    shares = {
        "completeness": card.filled_fields / card.required_fields if card.required_fields
        else 0,
        "freshness": card.fresh / n if n else 0,
        "map_points": card.with_point / n if n else 0,
        "verification": card.verified / n if n else 0,
        "requests": max(0.0, 1 - card.organisations_with_pending / n) if n else 0,
        "duplicates": max(0.0, 1 - card.organisations_in_duplicates / n) if n else 0,
        "diagnostic": 1 if recent else 0,
    }
    card.points = {k: round(WEIGHTS[k] * v, 1) for k, v in shares.items()}
    card.score = round(sum(WEIGHTS[k] * v for k, v in shares.items()), 1)


def scorecard_for(commune: Commune, *, now=None) -> Scorecard:
    """One commune's scorecard (the same five queries, restricted to it)."""
    return scorecards([commune.pk], now=now)[0]


def scorecard_context(commune: Commune) -> dict:
    """Context for `quality/_scorecard.html` on the commune dashboard."""
    return {"scorecard": scorecard_for(commune), "scorecard_weights": WEIGHTS}


def sort_scorecards(cards: list[Scorecard], ordering: str) -> list[Scorecard]:
    """Sort by score, P-code, name, completeness, freshness or verification ('-' for
    descending); null
    ratios last, ties by P-code."""
    key = ordering.lstrip("-")
    reverse = ordering.startswith("-")
    if key == "pcode":
        return sorted(cards, key=lambda c: c.pcode, reverse=reverse)
    if key == "name":
        return sorted(cards, key=lambda c: (c.name.casefold(), c.pcode), reverse=reverse)
    present = [c for c in cards if getattr(c, key) is not None]
    missing = sorted((c for c in cards if getattr(c, key) is None), key=lambda c: c.pcode)
    present.sort(key=lambda c: c.pcode)
    present.sort(key=lambda c: getattr(c, key), reverse=reverse)
    return present + missing
