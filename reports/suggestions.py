"""Which kind of link the cooperation report suggests for an opportunity (a pair of active
organisations of a commune sharing a filière with no counted link between them).

The rule (docs/architecture.md, "Suggested link kind"), deterministic, from two inputs only:

1. **A kind both already practise.** Among the kinds of counted links each organisation has
   with anyone (other than "other", which says nothing concrete), those both practise: the
   one with the most counted links of the two together, ties broken in `LinkKind` order.
   Both know that way of working: it is the easiest to start.
2. **Otherwise, what the shared filières call for**: each shared filière's sector gives a
   kind (`SECTOR_KINDS`: produce → sell together, crafts and tourism → a shared label,
   infrastructure → shared equipment, health and social groups → savings and credit,
   vocational training → training, youth groups → shared jobs; any other sector → joint
   sale); the kind given by the most shared filières wins, ties in `LinkKind` order.

The rule never changes which pairs are suggested nor any figure of the report.
"""

from collections.abc import Iterable, Mapping

from cooperatives.models import LinkKind

KIND_ORDER: tuple[str, ...] = tuple(LinkKind.values)
DEFAULT_KIND = LinkKind.JOINT_SALE.value
# The kinds rule 1 compares, as plain strings (an enum comparison per kind and pair cost a
# tenth of the national cooperation report).
_PRACTISED_KINDS: tuple[str, ...] = tuple(k for k in KIND_ORDER if k != LinkKind.OTHER.value)
SECTOR_KINDS: dict[str, str] = {
    "agriculture": LinkKind.JOINT_SALE, "elevage": LinkKind.JOINT_SALE,
    "forets": LinkKind.JOINT_SALE, "commerce": LinkKind.JOINT_SALE,
    "mines": LinkKind.JOINT_SALE,
    "pme_ess": LinkKind.SHARED_LABEL, "tourisme": LinkKind.SHARED_LABEL,
    "arts_culture": LinkKind.SHARED_LABEL,
    "eau_energie": LinkKind.SHARED_EQUIPMENT, "habitat": LinkKind.SHARED_EQUIPMENT,
    "travaux_publics": LinkKind.SHARED_EQUIPMENT, "transports": LinkKind.SHARED_EQUIPMENT,
    "postes_telecom": LinkKind.SHARED_EQUIPMENT, "environnement": LinkKind.SHARED_EQUIPMENT,
    "sante": LinkKind.SAVINGS_CREDIT, "affaires_sociales": LinkKind.SAVINGS_CREDIT,
    "promotion_femme": LinkKind.SAVINGS_CREDIT,
    "emploi_formation": LinkKind.TRAINING, "jeunesse": LinkKind.SHARED_JOBS,
}


def suggested_kind(shared_sectors: Iterable[str], practised_a: Mapping[str, int],
                   practised_b: Mapping[str, int]) -> str:
    """The link kind to suggest to a pair (see the module's rule).

    `shared_sectors`: the sector code of each filière the pair shares (one entry per
    filière, repeats allowed); `practised_a`, `practised_b`: each organisation's counted
    links per kind (kinds it does not practise may be absent or 0).
    """
    common = [kind for kind in _PRACTISED_KINDS
              if practised_a.get(kind, 0) > 0 and practised_b.get(kind, 0) > 0]
    if common:
        return max(common, key=lambda k: (practised_a[k] + practised_b[k],
                                          -KIND_ORDER.index(k)))
    votes: dict[str, int] = {}
    for sector in shared_sectors:
        kind = str(SECTOR_KINDS.get(sector, DEFAULT_KIND))
        votes[kind] = votes.get(kind, 0) + 1
    if not votes:
        return DEFAULT_KIND
    return max(votes, key=lambda k: (votes[k], -KIND_ORDER.index(k)))
