"""An organisation's NIU, type by member interest, work counts and labels, drawn from a stream
of their own (`World.rng("identifiers", …)`) so the registry's other values stay the same.

- NIU: about half the organisations (more for COOP-CA, unions and federations, fewer for
  GICs): "M" (a legal person), 12 digits (ending with the organisation's id, so unique), and
  a letter.
- Type by member interest (cooperatives, unions and federations; 1 in 12 not recorded): by
  the primary filière's sector, mostly producer cooperatives in farming, livestock, forests
  and mining; consumer/user ones in health, water, housing and social services; worker ones
  in handicrafts, services and the trades; a few multi-stakeholder ones everywhere.
- Worker- and producer-members: by type (a producer cooperative's producer-members are most
  of its members; a worker cooperative's worker-members likewise; a multi-stakeholder one has
  both); none for unions and federations (their members are organisations).
- Labels: fair trade or sustainability certificates for some cocoa and coffee cooperatives,
  organic for a few, the geographical indications Poivre de Penja (Littoral) and Miel blanc
  d'Oku (North-West) for some pepper and honey cooperatives.
"""

import random
import string
from datetime import date

from cooperatives.models import LabelKind, LegalForm, MemberInterest, OrganisationStatus

from .world import LAST_DAY, draw_day

TYPED_FORMS = {LegalForm.SCOOPS, LegalForm.COOP_CA, LegalForm.UNION, LegalForm.FEDERATION}
NIU_SHARE = {LegalForm.COOP_CA: 0.8, LegalForm.SCOOPS: 0.55, LegalForm.GIC: 0.35,
             LegalForm.UNION: 0.7, LegalForm.FEDERATION: 0.9}
_P, _W, _C, _M = (MemberInterest.PRODUCER, MemberInterest.WORKER,
                  MemberInterest.CONSUMER_USER, MemberInterest.MULTI_STAKEHOLDER)
PRODUCING = ((_P, _W, _C, _M), (88, 4, 2, 6))
SERVING = ((_C, _M, _W, _P), (65, 22, 8, 5))
WORKING = ((_W, _P, _M, _C), (45, 35, 12, 8))
INTEREST_BY_SECTOR = {"agriculture": PRODUCING, "elevage": PRODUCING, "forets": PRODUCING,
                      "mines": PRODUCING, "commerce": ((_P, _C, _M), (60, 30, 10)),
                      "sante": SERVING, "eau_energie": SERVING, "habitat": SERVING,
                      "affaires_sociales": SERVING, "education_base": SERVING}
# (filière code, region or None) -> [(kind, name, certifier, share of its cooperatives)]
LABELS = {
    ("cacao", None): [(LabelKind.FAIR_TRADE, "", "FLOCERT (Fairtrade)", 0.08),
                      (LabelKind.SUSTAINABILITY, "", "Rainforest Alliance", 0.06),
                      (LabelKind.ORGANIC, "", "Ecocert", 0.02)],
    ("cafe", None): [(LabelKind.FAIR_TRADE, "", "FLOCERT (Fairtrade)", 0.06),
                     (LabelKind.SUSTAINABILITY, "", "Rainforest Alliance", 0.04)],
    ("poivre", "CM005"): [(LabelKind.GEOGRAPHICAL_INDICATION, "Poivre de Penja", "OAPI", 0.5)],
    ("miel", "CM007"): [(LabelKind.GEOGRAPHICAL_INDICATION, "Miel blanc d'Oku", "OAPI", 0.4)],
    ("maraichage", None): [(LabelKind.ORGANIC, "", "Ecocert", 0.02)],
}


def niu(rng: random.Random, form: str, organisation_id: int) -> str | None:
    if rng.random() > NIU_SHARE.get(form, 0.4):
        return None
    return f"M{rng.randint(0, 99):02d}{organisation_id:010d}{rng.choice(string.ascii_uppercase)}"


def member_interest(rng: random.Random, form: str, sector_code: str) -> str:
    if form not in TYPED_FORMS or rng.random() < 1 / 12:
        return ""
    values, weights = INTEREST_BY_SECTOR.get(sector_code, WORKING)
    return rng.choices(values, weights)[0]


def work_members(rng: random.Random, form: str, interest: str, members: int) -> tuple[int, int]:
    """(worker-members, producer-members), together at most the members."""
    if form in (LegalForm.UNION, LegalForm.FEDERATION) or not interest:
        return 0, 0
    if interest == _P:
        return 0, round(members * rng.uniform(0.75, 1.0))
    if interest == _W:
        return round(members * rng.uniform(0.6, 1.0)), 0
    if interest == _M:
        workers = round(members * rng.uniform(0.05, 0.3))
        return workers, round((members - workers) * rng.uniform(0.3, 0.7))
    return 0, 0


def labels(rng: random.Random, *, form: str, status: str, filiere_code: str, region: str,
           organisation_id: int) -> list[tuple]:
    """(kind, name, certifier, number, valid from, valid until) of the labels drawn."""
    if form not in TYPED_FORMS or status != OrganisationStatus.ACTIVE:
        return []
    found = []
    for kind, name, certifier, share in (LABELS.get((filiere_code, None), [])
                                         + LABELS.get((filiere_code, region), [])):
        if rng.random() >= share:
            continue
        start = draw_day(rng, date(2018, 1, 1), LAST_DAY)
        if kind == LabelKind.GEOGRAPHICAL_INDICATION:
            found.append((kind, name, certifier, "", start, None))
        else:
            number = f"{certifier.split()[0].upper()}-{organisation_id}"
            found.append((kind, name, certifier, number, start,
                          date(start.year + 3, start.month, min(start.day, 28))))
    return found
