"""The taxonomy as the generator reads it: plain values, with each region's zone draws."""

import itertools
from dataclasses import dataclass, field

from sectors.models import Filiere, Sector
from sectors.taxonomy import AGRO_ZONES

from .selection import DatasetError

# The filières DOMAIN.md names first for each zone: drawn more often than the zone's others.
_FOREST = {"manioc", "plantain", "palmier_huile", "cacao"}
_HIGHLANDS = {"mais", "haricot", "pomme_de_terre", "maraichage"}
_SAHEL = {"sorgho_mil", "oignon", "coton", "arachide"}
SIGNATURE = {"CM001": {"bovins", "mais", "igname"}, "CM002": _FOREST, "CM003": _FOREST,
             "CM004": _SAHEL, "CM005": _FOREST, "CM006": _SAHEL, "CM007": _HIGHLANDS,
             "CM008": _HIGHLANDS, "CM009": _FOREST, "CM010": _FOREST}
# Filières of no zone (services, processing, groups) drawn for a quarter of the organisations.
NEUTRAL_WEIGHTS = {"groupes_femmes": 5, "transformation_agroalimentaire": 4, "groupes_jeunes": 3,
                   "couture_textile": 2, "sante_mutuelle": 2, "eau_potable": 2,
                   "commercialisation_groupee": 2, "formation_professionnelle": 2}
NEUTRAL_SHARE = 0.25


@dataclass
class Taxonomy:
    """The taxonomy in the database, as plain values, with the zone draws per region."""

    filiere_code: dict[int, str]
    filiere_name: dict[int, str]
    filiere_sector: dict[int, int]
    sector_code: dict[int, str]
    sector_name: dict[int, str]
    sector_ministry: dict[int, int]
    ministry_acronym: dict[int, str]
    sector_filieres: dict[int, list[int]]
    zoned: set[int]
    neutral: tuple[list[int], list[float]]
    zones: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Taxonomy":
        filieres = list(Filiere.objects.order_by("code").values_list(
            "id", "code", "name_fr", "sector_id"))
        if not filieres:
            raise DatasetError("No filières in the database: run `manage.py load_taxonomy`.")
        sectors = list(Sector.objects.order_by("code").values_list(
            "id", "code", "name_fr", "ministry_id", "ministry__acronym"))
        by_code = {code: pk for pk, code, _, _ in filieres}
        zoned = {by_code[c] for codes in AGRO_ZONES.values() for c in codes if c in by_code}
        sector_filieres = {s[0]: [] for s in sectors}
        for pk, _, _, sector in filieres:
            sector_filieres[sector].append(pk)
        return cls(
            filiere_code={pk: code for pk, code, _, _ in filieres},
            filiere_name={pk: name for pk, _, name, _ in filieres},
            filiere_sector={pk: sector for pk, _, _, sector in filieres},
            sector_code={s[0]: s[1] for s in sectors}, sector_name={s[0]: s[2] for s in sectors},
            sector_ministry={s[0]: s[3] for s in sectors},
            ministry_acronym={s[3]: s[4] for s in sectors},
            sector_filieres=sector_filieres, zoned=zoned,
            neutral=_cumulative([(pk, NEUTRAL_WEIGHTS.get(code, 1)) for pk, code, _, _
                                 in filieres if pk not in zoned]))

    def zone(self, region: str) -> tuple[list[int], list[float]]:
        """The region's zone filières with cumulative weights (all filières outside a zone)."""
        if region not in self.zones:
            codes = AGRO_ZONES.get(region)
            signature = SIGNATURE.get(region, set())
            by_code = {code: pk for pk, code in self.filiere_code.items()}
            pairs = [(by_code[c], 4 if c in signature else 1) for c in (codes or by_code)
                     if c in by_code]
            self.zones[region] = _cumulative(pairs or [(pk, 1) for pk in self.filiere_code])
        return self.zones[region]


def _cumulative(pairs: list[tuple[int, float]]) -> tuple[list[int], list[float]]:
    return [p for p, _ in pairs], list(itertools.accumulate(w for _, w in pairs))
