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

import numpy as np

from cooperatives.models import LinkKind

KIND_ORDER: tuple[str, ...] = tuple(LinkKind.values)
DEFAULT_KIND = LinkKind.JOINT_SALE.value
_KIND_INDEX: dict[str, int] = {kind: i for i, kind in enumerate(KIND_ORDER)}
_OTHER = _KIND_INDEX[LinkKind.OTHER.value]  # never suggested from practice (rule 1)
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


def kind_of_sector(sector: str) -> int:
    """The position in `KIND_ORDER` of the kind a shared filière of `sector` calls for."""
    return _KIND_INDEX[str(SECTOR_KINDS.get(sector, DEFAULT_KIND))]


def suggested_kinds(votes: np.ndarray, practised_a: np.ndarray, practised_b: np.ndarray
                    ) -> list[str]:
    """The link kind to suggest to each of many pairs (see the module's rule), one row per
    pair, one column per kind in `KIND_ORDER`: `votes`, how many of the pair's shared
    filières call for the kind (`kind_of_sector`); `practised_a`, `practised_b`, each
    organisation's counted links of the kind. A national report asks for 7,200 pairs at
    once: one pass over arrays, where a call per pair cost a tenth of the report."""
    both = (practised_a > 0) & (practised_b > 0)
    both[:, _OTHER] = False
    # argmax takes the first of the largest: ties go in LinkKind order, as the rule says.
    by_practice = np.where(both, practised_a + practised_b, -1).argmax(axis=1)
    by_votes = votes.argmax(axis=1)
    chosen = np.where(both.any(axis=1), by_practice,
                      np.where(votes.max(axis=1) > 0, by_votes, _KIND_INDEX[DEFAULT_KIND]))
    return [KIND_ORDER[i] for i in chosen.tolist()]


def suggested_kind(shared_sectors: Iterable[str], practised_a: Mapping[str, int],
                   practised_b: Mapping[str, int]) -> str:
    """The link kind to suggest to one pair (`suggested_kinds` for a single row).

    `shared_sectors`: the sector code of each filière the pair shares (one entry per
    filière, repeats allowed); `practised_a`, `practised_b`: each organisation's counted
    links per kind (kinds it does not practise may be absent or 0).
    """
    votes = np.zeros((1, len(KIND_ORDER)), dtype=np.int64)
    for sector in shared_sectors:
        votes[0, kind_of_sector(sector)] += 1
    a, b = ([[practised.get(kind, 0) for kind in KIND_ORDER]]
            for practised in (practised_a, practised_b))
    return suggested_kinds(votes, np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))[0]
