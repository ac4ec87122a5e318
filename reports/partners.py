"""Cooperation opportunities naming given organisations: what a representative's
"Suggested partners" page lists, read from their communes' latest cooperation runs."""

from django.utils import timezone

from cooperatives.models import LinkKind, Organisation

from .cooperation_presenter import _filiere_names
from .latest import latest_done_runs
from .models import ReportRun
from .runs import scope_key


def opportunities_naming(organisation_ids) -> list[dict]:
    """Each opportunity of the latest done cooperation run of the current year, in the
    communes of `organisation_ids`, that names one of them: the organisation, its suggested
    partner, the filières they share, the kind of link suggested and their members together.
    Four queries whatever the number of organisations."""
    ids = set(organisation_ids)
    if not ids:
        return []
    mine = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)
            .select_related("commune").only("pk", "name", "commune__pcode")}
    results = _latest_results({scope_key(o.commune) for o in mine.values()})
    found = []
    for result in results:
        for opportunity in result.get("opportunities") or []:
            pair = opportunity["organisations"]
            names = opportunity.get("names") or ["", ""]
            for side in (0, 1):
                if pair[side] in mine:
                    found.append({"organisation": mine[pair[side]],
                                  "partner_id": pair[1 - side],
                                  "partner_name": names[1 - side],
                                  "filiere_codes": opportunity.get("filieres") or [],
                                  "kind": opportunity.get("suggested_kind", ""),
                                  "members": opportunity.get("members", 0),
                                  "year": timezone.localdate().year})
    filieres = _filiere_names({c for f in found for c in f["filiere_codes"]})
    kinds = dict(LinkKind.choices)
    for f in found:
        f["filieres"] = [filieres.get(c, c) for c in f["filiere_codes"]]
        f["kind_label"] = kinds.get(f["kind"], f["kind"])
    return sorted(found, key=lambda f: (f["organisation"].name, -f["members"]))


def _latest_results(scopes: set[str]) -> list[dict]:
    """The latest done run's result per scope (of the current year): two queries."""
    return [r or {} for r in latest_done_runs(ReportRun.Kind.COOPERATION,
                                              timezone.localdate().year, pcodes=scopes)
            .values_list("result", flat=True)]
