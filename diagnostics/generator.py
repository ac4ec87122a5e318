"""Seeded synthetic dataset for demos, tests and the benchmark, and the demo accounts.

`generate_dataset(scale=..., seed=...)` fills the selected communes with organisations (their
filières and registry events), cooperation links, a RELESS with its bureau, a validated PCD
diagnostic and ministries' interventions. It reads the territory and the taxonomy already in the
database and imports no reference data itself.

Deterministic: every draw comes from a `random.Random` seeded with the seed, the phase and the
commune P-code, and every query is ordered, so one seed gives the same rows and values (ids
included, on a database holding the same rows beforehand). Rows are built commune by commune and
written in bulk with ids assigned here: COPY on PostgreSQL for the big tables, bulk_create
elsewhere. Bulk writes record no django-simple-history rows and fire no signals.

The people, phones and e-mails are invented, but the platform must treat them as personal data.
"""

import itertools
import math
import random
import time as clock
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils.text import slugify

from accounts.models import User
from communes.models import Commune, Department
from cooperatives import freshness
from cooperatives.models import (
    BureauMember,
    CooperationLink,
    LegalForm,
    LinkKind,
    LinkStatus,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    RegistryEvent,
    Reless,
    Role,
    RoleAssignment,
)
from sectors.models import Filiere, Ministry, Sector
from sectors.taxonomy import AGRO_ZONES

from .models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    Level,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)


class DatasetError(Exception):
    """The dataset cannot be generated as asked (unknown commune, no taxonomy...)."""


@dataclass(frozen=True)
class Scale:
    organisations: int
    links: int
    entries: int
    interventions: int
    per_commune: bool  # figures per selected commune; else totals spread over the selection
    min_organisations: int  # "each RELESS with at least about 30 cooperatives" (DOMAIN.md)


SCALES = {
    "tiny": Scale(30, 75, 20, 5, per_commune=True, min_organisations=20),
    "demo": Scale(75, 200, 40, 12, per_commune=True, min_organisations=30),
    "national": Scale(200_000, 1_000_000, 50_000, 20_000, per_commune=False,
                      min_organisations=60),
}

# Demo departments: the first of Centre (forest), Ouest (highlands), Extrême-Nord (Sahel).
DEMO_REGIONS = ("CM002", "CM008", "CM004")

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

LEGAL_FORMS = [(LegalForm.GIC, 42), (LegalForm.SCOOPS, 30), (LegalForm.COOP_CA, 7),
               (LegalForm.ASSOCIATION, 15), (LegalForm.OTHER, 6)]
STATUSES = [(OrganisationStatus.ACTIVE, 76), (OrganisationStatus.DORMANT, 11),
            (OrganisationStatus.IN_CREATION, 7), (OrganisationStatus.DISSOLVED, 6)]
COOPERATIVE_FORMS = {LegalForm.SCOOPS, LegalForm.COOP_CA}
UNION_MEMBER_FORMS = {LegalForm.SCOOPS, LegalForm.COOP_CA, LegalForm.GIC}
# (minimum, mu): members = minimum + lognormal(mu, 0.8), legal minima included. About 22
# members on average, some 4.5 million at national scale (DOMAIN.md plans 3 million records).
MEMBERS = {LegalForm.GIC: (5, 1.98), LegalForm.SCOOPS: (5, 2.39), LegalForm.COOP_CA: (15, 3.49),
           LegalForm.ASSOCIATION: (7, 2.68), LegalForm.OTHER: (7, 2.9)}

KINDS = list(LinkKind.values)
SAME_FILIERE_KINDS = [25, 20, 18, 10, 5, 12, 5, 5]  # weights in LinkKind order
CROSS_FILIERE_KINDS = [15, 10, 5, 3, 15, 25, 20, 7]
CROSS_COMMUNE_SHARE = 0.12
SAME_FILIERE_SHARE = 0.63

FIRST_DAY = date(2012, 1, 1)  # the OHADA cooperative act applies from 2011
LAST_DAY = date(2026, 10, 31)  # registry dates stop before the dataset's "now"
RECORDED_FROM, RECORDED_TO = date(2024, 1, 15), date(2026, 11, 20)


# ---------------------------------------------------------------------------------------------
# Names and texts


REGION_AREA = {"CM001": "north", "CM002": "beti", "CM003": "beti", "CM004": "north",
               "CM005": "sawa", "CM006": "north", "CM007": "anglo", "CM008": "grassfields",
               "CM009": "beti", "CM010": "anglo"}
FIRST_NAMES = {
    ("fr", "f"): ["Marie", "Jeanne", "Brigitte", "Christelle", "Nadège", "Sandrine", "Pauline",
                  "Florence", "Odette", "Solange", "Hortense", "Yvonne", "Clarisse", "Mireille",
                  "Béatrice", "Rose", "Esther", "Judith", "Gisèle", "Cécile"],
    ("fr", "m"): ["Jean", "Paul", "Pierre", "Emmanuel", "Joseph", "Serge", "Boris", "Yannick",
                  "Hervé", "Martin", "André", "Célestin", "Thomas", "Jacques", "Bertrand",
                  "Didier", "François", "Roger", "Alain", "Théodore"],
    ("en", "f"): ["Grace", "Mercy", "Blessing", "Comfort", "Joy", "Patience", "Gladys", "Vivian",
                  "Ruth", "Mary", "Doris", "Evelyn"],
    ("en", "m"): ["John", "Peter", "Emmanuel", "Godlove", "Divine", "Ernest", "Samuel", "Felix",
                  "Collins", "Stephen", "Clement", "Walters"],
    ("north", "f"): ["Aïssatou", "Fadimatou", "Hadidja", "Mairamou", "Hawaou", "Djamila",
                     "Adama", "Rakiatou", "Zénabou", "Aminatou", "Halimatou", "Salamatou"],
    ("north", "m"): ["Hamadou", "Oumarou", "Moussa", "Abdoulaye", "Ibrahim", "Aliou",
                     "Souleymane", "Mohamadou", "Issa", "Bouba", "Yaouba", "Amadou"],
}
LAST_NAMES = {
    "beti": ["Mbarga", "Ateba", "Essomba", "Owona", "Abena", "Ndzana", "Onana", "Mballa",
             "Fouda", "Atangana", "Manga", "Eyenga", "Ngono", "Bilong", "Nkoa", "Mvondo",
             "Ebode", "Zambo", "Ondoua", "Amougou"],
    "grassfields": ["Kamga", "Fotso", "Kamdem", "Nguetsa", "Tchinda", "Djoumessi", "Tagne",
                    "Wafo", "Simo", "Tchoupo", "Fokou", "Kengne", "Nana", "Tsafack", "Momo",
                    "Talla", "Djomo", "Feugang", "Takam", "Nzeuta"],
    "north": ["Hamadou", "Oumarou", "Bouba", "Moussa", "Adamou", "Saïdou", "Bello", "Yaya",
              "Daouda", "Abba", "Ousmanou", "Haman", "Dairou", "Goni", "Aboubakar", "Ahmadou",
              "Sali", "Bakari", "Mana", "Djibrilla"],
    "sawa": ["Ekwalla", "Doumbe", "Ebelle", "Ngando", "Kotto", "Dikoume", "Epee", "Moukoko",
             "Ekambi", "Essaka", "Ngoh", "Dina", "Elong", "Priso", "Mouangue", "Tokoto", "Lobe",
             "Ngalle", "Mbongo", "Ebanda"],
    "anglo": ["Ngwa", "Tanyi", "Nkwenti", "Che", "Ambe", "Ayuk", "Tabi", "Enow", "Mbah", "Fru",
              "Nji", "Tamfu", "Ashu", "Tata", "Neba", "Awah", "Akwo", "Besong", "Agbor", "Ngu"],
}
SYLLABLES = {
    "beti": (["Nkol", "Ebo", "Mvo", "Ngo", "Ako", "Ndo", "Mbe", "Oye", "Ayo", "Biy", "Ela",
              "Nsi", "Oba", "Zam", "Meyo", "Ekou", "Abo", "Minkoa"],
             ["mebanga", "bisson", "lo", "ndong", "meyos", "mekak", "ssi", "bele", "koa", "zok",
              "ngui", "messeng", "afan", "mva", "tsang", "nam", "dzeng", "bang"]),
    "grassfields": (["Ba", "Bafou", "Bam", "Ban", "Bat", "Fo", "Fongo", "Bandja", "Bali",
                     "Bame", "Fot", "Bangou"],
                    ["ndjoun", "ssa", "ngang", "leng", "tcha", "mougoum", "djou", "ham", "komo",
                     "nwa", "fang", "soung", "kwa", "tsé"]),
    "north": (["Gui", "Ma", "Dou", "Mo", "Ka", "Ga", "Mou", "Ze", "Bo", "Tok", "Ba", "Mer",
               "Kou", "Djou"],
              ["kolo", "lao", "gouma", "kong", "dai", "gaza", "lam", "roua", "bi", "mbéré",
               "dala", "rou", "fata", "zina"]),
    "sawa": (["Ma", "Ye", "Di", "Bo", "Ed", "Lo", "Pen", "Mbo", "Dei", "Ngom", "Do", "Mou"],
             ["nga", "koa", "bamba", "ngé", "éa", "lobo", "ja", "ungo", "mbé", "sombo", "dibo"]),
    "anglo": (["Ba", "Bu", "Nku", "Ku", "Mbe", "Ndu", "Wum", "Ako", "Esu", "Mam", "Bo", "Nto"],
              ["menda", "ea", "ambe", "mbo", "eng", "ong", "fe", "kwa", "nyi", "tum", "kom",
               "ssing"]),
}
MOTTOS = ["Espoir", "Solidarité", "Entraide", "Avenir", "Les Vaillants", "Les Bâtisseurs",
          "La Main Tendue", "L'Union Fait la Force", "Le Bon Grain", "Lumière", "Renouveau",
          "Progrès", "Les Pionniers", "Bonne Récolte", "Unité", "Travail et Prospérité",
          "Les Dynamiques", "Les Battants", "Sol Fertile", "Nouvel Élan"]
OTHER_NAMES = ["Mutuelle communautaire", "Caisse villageoise d'épargne et de crédit",
               "Tontine solidaire", "Comptoir paysan", "Centre de services partagés"]
ASSOCIATION_NAMES = ["Association pour le développement", "Association des ressortissants",
                     "Association des femmes rurales", "Association des jeunes agriculteurs",
                     "Association culturelle et de développement"]
# Filière code -> its people, for names ("SCOOPS des planteurs de cacao de ...").
ACTORS = {
    "mais": "producteurs de maïs", "riz": "riziculteurs", "plantain": "producteurs de plantain",
    "banane": "producteurs de banane", "manioc": "producteurs de manioc",
    "macabo_taro": "producteurs de macabo et taro", "igname": "producteurs d'igname",
    "patate_douce": "producteurs de patate douce",
    "pomme_de_terre": "producteurs de pomme de terre",
    "palmier_huile": "producteurs d'huile de palme", "cacao": "planteurs de cacao",
    "cafe": "caféiculteurs", "anacarde": "producteurs d'anacarde", "coton": "cotonculteurs",
    "hevea": "planteurs d'hévéa", "oignon": "producteurs d'oignon",
    "sorgho_mil": "producteurs de sorgho et mil", "arachide": "producteurs d'arachide",
    "haricot": "producteurs de haricot", "maraichage": "maraîchers",
    "fruits": "arboriculteurs", "semences": "semenciers", "porc": "éleveurs de porcs",
    "volaille": "aviculteurs", "petits_ruminants": "éleveurs de petits ruminants",
    "bovins": "éleveurs de bovins", "cuniculture": "cuniculteurs", "miel": "apiculteurs",
    "lait": "producteurs de lait", "peche": "pêcheurs", "aquaculture": "pisciculteurs",
    "foret_communautaire": "riverains de la forêt communautaire", "bois": "exploitants de bois",
    "pfnl": "collecteurs de produits forestiers non ligneux",
    "karite": "productrices de karité", "agroforesterie": "pépiniéristes",
    "artisanat": "artisans", "transformation_agroalimentaire": "transformatrices",
    "couture_textile": "couturières", "commerce_marches": "commerçants",
    "ecotourisme": "guides écotouristiques", "hebergement_restauration": "restauratrices",
    "mines_artisanales": "artisans miniers", "carrieres": "carriers",
    "eau_potable": "usagers de l'eau", "electrification": "usagers de l'électricité",
    "materiaux_locaux": "briquetiers", "sante_mutuelle": "mutualistes",
    "sante_communautaire": "relais communautaires", "telecentre": "usagers du télécentre",
    "transport_rural": "transporteurs", "industries_culturelles": "artistes",
    "formation_professionnelle": "formateurs", "groupes_femmes": "femmes",
    "groupes_jeunes": "jeunes", "dechets": "collecteurs de déchets",
    "provenderie": "fabricants d'aliments pour bétail",
    "gomme_arabique": "collecteurs de gomme arabique",
    "commercialisation_groupee": "producteurs-vendeurs", "energie_solaire": "techniciens solaires",
    "assainissement": "agents d'assainissement", "pistes_rurales": "cantonniers",
    "services_numeriques": "jeunes du numérique", "protection_sociale": "membres solidaires",
    "compostage": "composteurs",
}
# Sector code -> how a regional federation of the sector's cooperatives is called.
FEDERATION_NAMES = {"agriculture": "des coopératives agricoles",
                    "elevage": "des coopératives d'éleveurs et de pêcheurs",
                    "forets": "des coopératives forestières",
                    "pme_ess": "des coopératives artisanales et de transformation",
                    "commerce": "des coopératives de commercialisation"}
SMALL_WORDS = {"d", "de", "des", "du", "l", "la", "le", "les", "et", "en", "au", "aux", "pour"}
NOTES = {
    LinkKind.SHARED_EQUIPMENT: "Utilisation partagée d'un moulin et d'un séchoir",
    LinkKind.JOINT_PURCHASE: "Achat groupé d'intrants avant la campagne",
    LinkKind.JOINT_SALE: "Vente groupée au marché périodique",
    LinkKind.SHARED_LABEL: "Marque collective et emballage communs",
    LinkKind.SHARED_JOBS: "Un comptable partagé entre les deux structures",
    LinkKind.TRAINING: "Sessions de formation communes sur la gestion coopérative",
    LinkKind.SAVINGS_CREDIT: "Caisse d'épargne et de crédit mutuelle",
    LinkKind.OTHER: "Échanges d'expériences",
}


def _de(place: str) -> str:
    """French "de" before a place, elided before a vowel ("d'Ebolowa")."""
    first = unicodedata.normalize("NFD", place[:1])[:1].lower()
    return f"d'{place}" if first in "aeiouy" else f"de {place}"


def _du(region: str) -> str:
    first = unicodedata.normalize("NFD", region[:1])[:1].lower()
    return f"de l'{region}" if first in "aeiouy" else f"du {region}"


def _ascii(text: str) -> str:
    return slugify(text).replace("-", "")


def _acronym(name: str) -> str:
    words = name.replace("'", " ").replace("-", " ").split()
    return "".join(w[0] for w in words if w.lower() not in SMALL_WORDS and w[0].isalpha()
                   ).upper()[:12]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _recent_day(rng: random.Random, start: date, end: date) -> date:
    """A day between start and end, more often recent (registrations grew over time)."""
    span = max(0, (end - start).days)
    return start + timedelta(days=int(span * rng.random() ** 0.6))


def _moment(rng: random.Random, start: date = RECORDED_FROM, end: date = RECORDED_TO):
    minutes = rng.randint(7 * 60, 18 * 60)
    return datetime.combine(_day(rng, start, end), time(minutes // 60, minutes % 60), UTC)


# ---------------------------------------------------------------------------------------------
# Bulk writer


BIG_TABLES = (Organisation, OrganisationFiliere, RegistryEvent, CooperationLink,
              DiagnosticEntry)


class Sink:
    """Rows buffered per model and written in bulk, in the order the models were declared.

    A row is a tuple in the order of its model's declared columns (attnames, id first). On
    PostgreSQL the big tables go through COPY, everything else through bulk_create."""

    def __init__(self, batch_size: int = 2000):
        self.columns: dict[type, list[str]] = {}
        self.rows: dict[type, list[tuple]] = {}
        self.written: Counter = Counter()
        self.batch_size = batch_size
        self.copy = connection.vendor == "postgresql"

    def declare(self, model, columns: list[str]) -> None:
        self.columns[model] = columns
        self.rows[model] = []

    def add(self, model, row: tuple) -> None:
        self.rows[model].append(row)

    def buffered(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def flush(self) -> None:
        for model, rows in self.rows.items():
            if not rows:
                continue
            if self.copy and model in BIG_TABLES:
                self._copy(model, rows)
            else:
                columns = self.columns[model]
                model.objects.bulk_create(
                    [model(**dict(zip(columns, row, strict=True))) for row in rows],
                    batch_size=self.batch_size)
            self.written[model] += len(rows)
            rows.clear()

    def _copy(self, model, rows) -> None:
        opts, quote = model._meta, connection.ops.quote_name
        columns = ", ".join(quote(opts.get_field(name).column) for name in self.columns[model])
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


ORGANISATION_COLUMNS = [
    "id", "name", "acronym", "legal_form", "rsc_number", "rsc_date", "ues_number", "commune_id",
    "locality", "primary_filiere_id", "status", "members_total", "members_women",
    "members_youth", "employees", "share_capital", "reless_member_since", "parent_union_id",
    "converted_from_gic_id", "contact_name", "contact_phone", "contact_email", "description",
    "latitude", "longitude", "created_at", "updated_at"]
BENEFICIARY = Intervention.beneficiaries.through
COLUMNS = [
    (Organisation, ORGANISATION_COLUMNS),
    (OrganisationFiliere, ["id", "organisation_id", "filiere_id"]),
    (RegistryEvent, ["id", "organisation_id", "kind", "date", "reference", "note"]),
    (CooperationLink, ["id", "source_id", "target_id", "kind", "status", "source_confirmed",
                       "target_confirmed", "start_date", "end_date", "note", "created_at"]),
    (Reless, ["id", "commune_id", "name", "founded_on", "status"]),
    (BureauMember, ["id", "reless_id", "person_name", "office", "organisation_id",
                    "mandate_start", "mandate_end"]),
    (TerritorialDiagnostic, ["id", "commune_id", "year", "source", "status", "validated_at",
                             "created_at"]),
    (DiagnosticEntry, ["id", "diagnostic_id", "sector_id", "level", "locality", "problem",
                       "potentials", "need", "priority_rank"]),
    (ProjectIdea, ["id", "diagnostic_id", "sector_id", "title", "locality", "cost_estimate",
                   "rank", "year", "status"]),
    (DiagnosticActor, ["id", "diagnostic_id", "name", "kind", "sector_id", "role"]),
    (TerritorialResource, ["id", "diagnostic_id", "kind", "description"]),
    (Intervention, ["id", "ministry_id", "commune_id", "programme", "filiere_id", "sector_id",
                    "start_date", "end_date", "budget", "created_at"]),
    (BENEFICIARY, ["id", "intervention_id", "organisation_id"]),
]


# ---------------------------------------------------------------------------------------------
# What the generator reads: the taxonomy and the selected communes


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


def demo_departments() -> list[Department]:
    """The demo departments: the first (by P-code) of each DEMO_REGIONS region, completed with
    the first departments of the country to three."""
    with_communes = Department.objects.filter(communes__isnull=False).distinct().order_by("pcode")
    chosen = [d for region in DEMO_REGIONS
              if (d := with_communes.filter(region__pcode=region).first()) is not None]
    for department in with_communes:
        if len(chosen) >= 3:
            break
        if department not in chosen:
            chosen.append(department)
    return chosen


def select_communes(scale: str, pcodes: list[str] | None = None) -> list[Commune]:
    """The communes a scale fills: the given P-codes; else every commune (national), the
    communes of the demo departments (demo) or the first commune of the first two (tiny)."""
    communes = Commune.objects.select_related("department__region").order_by("pcode")
    if pcodes:
        found = list(communes.filter(pcode__in=pcodes))
        missing = sorted(set(pcodes) - {c.pcode for c in found})
        if missing:
            raise DatasetError(f"Unknown commune P-code(s): {', '.join(missing)}.")
        return found
    if scale == "national":
        return list(communes)
    in_demo = list(communes.filter(department__in=demo_departments()))
    if scale == "demo":
        return in_demo
    firsts = {}
    for commune in in_demo:
        firsts.setdefault(commune.department_id, commune)
    ordered = list(firsts.values()) + [c for c in in_demo if c not in firsts.values()]
    return sorted(ordered[:2], key=lambda c: c.pcode)


def _allocate(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` in integer parts proportional to `weights`, each at least `minimum`
    (largest remainders, ties by position)."""
    minimum = min(minimum, total // max(1, len(weights)))
    rest = total - minimum * len(weights)
    shares = [rest * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[:rest - sum(counts)]:
        counts[i] += 1
    return [minimum + c for c in counts]


# ---------------------------------------------------------------------------------------------
# The generator


@dataclass
class Box:
    """A commune's generated organisations, compact, for the later phases."""

    ids: list[int] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    filieres: list[tuple[int, ...]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    by_filiere: dict[int, list[int]] = field(default_factory=dict)  # filière -> positions


@dataclass(slots=True)
class Draft:
    """An organisation being generated."""

    id: int
    form: str
    status: str
    primary: int
    filieres: list[int]
    locality: str
    members: int = 0
    women: int = 0
    youth: int = 0
    name: str = ""
    parent: int | None = None
    converted_from: int | None = None
    rsc_year: int | None = None


@dataclass
class Plan:
    """How much each selected commune gets."""

    organisations: list[int]
    links: list[int]
    entries: list[int]
    interventions: list[int]


class Generator:
    def __init__(self, *, scale: Scale, seed: int, communes: list[Commune], taxonomy: Taxonomy,
                 progress: Callable[[str], None] | None = None):
        self.scale, self.seed, self.communes, self.tax = scale, seed, communes, taxonomy
        self.progress = progress or (lambda message: None)
        self.sink = Sink()
        for model, columns in COLUMNS:
            self.sink.declare(model, columns)
        # Ids assigned here (no round trip per row); generation is an admin operation, run
        # while nothing else writes these tables.
        self.next_id = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
                        for model, _ in COLUMNS}
        self.rsc_taken = set(Organisation.objects.exclude(rsc_number=None)
                             .values_list("rsc_number", flat=True))
        self.rsc_counter: Counter = Counter()
        self.ues_counter: Counter = Counter()
        self.has_reless = set(Reless.objects.filter(commune__in=communes)
                              .values_list("commune_id", flat=True))
        self.validated = set(TerritorialDiagnostic.objects.validated()
                             .filter(commune__in=communes).values_list("commune_id", "year"))
        self.boxes: dict[int, Box] = {}
        self.localities: dict[int, list[str]] = {}
        self.reless_plan: dict[int, tuple[date, str]] = {}
        self.federations: dict[str, list[list]] = {}  # region -> [[id, filière, sector, unions]]
        self.link_keys: set[int] = set()
        self.near: dict[str, dict] = {"department": {}, "region": {}, "all": {None: []}}
        for c in communes:
            self.near["department"].setdefault(c.department_id, []).append(c.pk)
            self.near["region"].setdefault(c.department.region_id, []).append(c.pk)
            self.near["all"][None].append(c.pk)
        self.now = datetime.now(UTC)

    def rng(self, phase: str, key: str = "") -> random.Random:
        return random.Random(f"{self.seed}:{phase}:{key}")

    def take_id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def run(self) -> Counter:
        plan, started = self.plan(), clock.monotonic()
        for commune in self.communes:
            self.plan_reless(commune)
        self.add_federations()
        for commune, n in zip(self.communes, plan.organisations, strict=True):
            self.add_organisations(commune, n)
            self._maybe_flush()
        self.sink.flush()
        self.count_federation_unions()
        self._done("organisations, filières, registry events", started)
        for commune, n in zip(self.communes, plan.links, strict=True):
            self.add_links(commune, n)
            self._maybe_flush()
        self.sink.flush()
        self._done("cooperation links", started)
        for i, commune in enumerate(self.communes):
            self.add_reless(commune)
            self.add_diagnostic(commune, plan.entries[i])
            self.add_interventions(commune, plan.interventions[i])
            self._maybe_flush()
        self.sink.flush()
        self.reset_sequences()
        self._done("RELESS, diagnostics, interventions", started)
        return self.sink.written

    def _done(self, phase: str, started: float) -> None:
        self.progress(f"  {phase} written at {clock.monotonic() - started:.1f} s")

    def _maybe_flush(self) -> None:
        if self.sink.buffered() >= 50_000:
            self.sink.flush()

    def plan(self) -> Plan:
        rng, n, scale = self.rng("plan"), len(self.communes), self.scale
        factor = n if scale.per_commune else 1
        size = [rng.lognormvariate(0, 0.45) for _ in self.communes]
        orgs = _allocate(scale.organisations * factor, size, scale.min_organisations)
        return Plan(
            organisations=orgs,
            links=_allocate(scale.links * factor, orgs),
            entries=_allocate(scale.entries * factor, [rng.uniform(0.7, 1.3) for _ in range(n)]),
            interventions=_allocate(scale.interventions * factor,
                                    [s * rng.uniform(0.6, 1.4) for s in size]))

    def reset_sequences(self) -> None:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [m for m, _ in COLUMNS]):
                cursor.execute(sql)

    # -- people and places ---------------------------------------------------------------------

    def person(self, rng: random.Random, region: str, woman: bool) -> str:
        area = REGION_AREA.get(region, "beti")
        culture = {"north": "north", "anglo": "en"}.get(area, "fr")
        first = rng.choice(FIRST_NAMES[(culture, "f" if woman else "m")])
        return f"{first} {rng.choice(LAST_NAMES[area])}"

    def contact(self, rng: random.Random, region: str, woman: bool) -> tuple[str, str, str]:
        name = self.person(rng, region, woman)
        phone = (f"+2376{rng.choice('5789')}{rng.randint(0, 9)}{rng.randint(0, 999):03d}"
                 f"{rng.randint(0, 999):03d}")  # as the input rules store phones
        email = ""
        if rng.random() < 0.5:
            first, last = name.split(" ", 1)
            domain = rng.choice(["example.org", "example.com", "example.net"])
            email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{domain}"
        return name, phone, email

    def commune_localities(self, commune: Commune) -> list[str]:
        if commune.pk not in self.localities:
            rng = self.rng("localities", commune.pcode)
            starts, ends = SYLLABLES[REGION_AREA.get(commune.department.region.pcode, "beti")]
            names = {commune.name_fr: None}
            for _ in range(rng.randint(6, 14)):
                names[rng.choice(starts) + rng.choice(ends)] = None
            self.localities[commune.pk] = list(names)
        return self.localities[commune.pk]

    def locality(self, rng: random.Random, commune: Commune) -> str:
        places = self.commune_localities(commune)
        return places[0] if rng.random() < 0.3 else rng.choice(places)

    def actors(self, filiere: int) -> str:
        code = self.tax.filiere_code[filiere]
        return ACTORS.get(code, f"producteurs {_de(self.tax.filiere_name[filiere].lower())}")

    # -- organisations -------------------------------------------------------------------------

    def add_federations(self) -> None:
        """Regional federations, one per main sector of the region's zone (up to three); their
        unions come later."""
        by_region: dict = {}
        for commune in self.communes:
            by_region.setdefault(commune.department.region, []).append(commune)
        for region, communes in by_region.items():
            rng = self.rng("federations", region.pcode)
            wanted = min(3, 1 + len(communes) // 15)
            chosen: dict[int, int] = {}  # sector -> the federation's primary filière
            for _ in range(wanted * 8):
                filiere = self.zone_filiere(rng, region.pcode)
                if len(chosen) < wanted:
                    chosen.setdefault(self.tax.filiere_sector[filiere], filiere)
            for filiere in chosen.values():
                self.add_federation(rng, region, rng.choice(communes), filiere)

    def add_federation(self, rng, region, seat: Commune, filiere: int) -> None:
        sector = self.tax.filiere_sector[filiere]
        draft = Draft(id=self.take_id(Organisation), form=LegalForm.FEDERATION,
                      status=OrganisationStatus.ACTIVE, primary=filiere, filieres=[filiere],
                      locality=seat.name_fr, rsc_year=rng.randint(2016, 2025))
        what = FEDERATION_NAMES.get(
            self.tax.sector_code[sector],
            f"des coopératives ({self.tax.sector_name[sector].lower()})")
        draft.name = f"Fédération régionale {what} {_du(region.name_fr)}"
        self.write_organisation(rng, seat, draft, names=set())
        self.federations.setdefault(region.pcode, []).append([draft.id, filiere, sector, 0])

    def count_federation_unions(self) -> None:
        """A federation's members are its unions."""
        for federations in self.federations.values():
            for pk, _, _, unions in federations:
                Organisation.objects.filter(pk=pk).update(members_total=unions)

    def zone_filiere(self, rng: random.Random, region: str) -> int:
        filieres, weights = self.tax.zone(region)
        return rng.choices(filieres, cum_weights=weights)[0]

    def pick_filiere(self, rng: random.Random, region: str) -> int:
        neutral, weights = self.tax.neutral
        if neutral and rng.random() < NEUTRAL_SHARE:
            return rng.choices(neutral, cum_weights=weights)[0]
        return self.zone_filiere(rng, region)

    def add_organisations(self, commune: Commune, count: int) -> None:
        rng = self.rng("organisations", commune.pcode)
        region = commune.department.region.pcode
        n_unions = min(count // 10, 1 + count // 150 + (rng.random() < 0.5))
        drafts = [self.draft(rng, commune, region) for _ in range(count - n_unions)]
        self.convert_gics(rng, drafts)
        drafts += self.unions(rng, commune, region, drafts, n_unions)
        names: set[str] = set()
        for draft in drafts:
            self.write_organisation(rng, commune, draft, names)
        self.fill_box(commune, drafts)

    def draft(self, rng: random.Random, commune: Commune, region: str) -> Draft:
        form = rng.choices(*zip(*LEGAL_FORMS, strict=True))[0]
        status = rng.choices(*zip(*STATUSES, strict=True))[0]
        primary = self.pick_filiere(rng, region)
        extra = [self.pick_filiere(rng, region)
                 for _ in range(rng.choices((0, 1, 2), (55, 33, 12))[0])]
        draft = Draft(id=self.take_id(Organisation), form=form, status=status, primary=primary,
                      filieres=list(dict.fromkeys([primary, *extra])),
                      locality=self.locality(rng, commune))
        self.set_members(rng, draft)
        return draft

    def set_members(self, rng: random.Random, draft: Draft) -> None:
        minimum, mu = MEMBERS[draft.form]
        draft.members = min(2000, minimum + int(rng.lognormvariate(mu, 0.8)))
        code = self.tax.filiere_code[draft.primary]
        women = rng.uniform(0.85, 1) if code == "groupes_femmes" else rng.betavariate(9, 11)
        youth = rng.uniform(0.75, 1) if code == "groupes_jeunes" else rng.betavariate(6, 14)
        draft.women = min(draft.members, round(draft.members * women))
        draft.youth = min(draft.members, round(draft.members * youth))

    def convert_gics(self, rng: random.Random, drafts: list[Draft]) -> None:
        """Some SCOOPS were GICs: the GIC of the same filière is dissolved into it."""
        gics: dict[int, list[Draft]] = {}
        for draft in drafts:
            if draft.form == LegalForm.GIC:
                gics.setdefault(draft.primary, []).append(draft)
        for draft in drafts:
            if draft.form == LegalForm.SCOOPS and gics.get(draft.primary) and rng.random() < 0.15:
                gic = gics[draft.primary].pop()
                gic.status = OrganisationStatus.DISSOLVED
                draft.converted_from, draft.rsc_year = gic.id, rng.randint(2015, 2026)

    def unions(self, rng, commune: Commune, region: str, drafts: list[Draft], wanted: int):
        """Unions of the commune's most common filières, each over at least two members."""
        by_primary: dict[int, list[Draft]] = {}
        for d in drafts:
            if d.form in UNION_MEMBER_FORMS and d.status != OrganisationStatus.DISSOLVED:
                by_primary.setdefault(d.primary, []).append(d)
        ranked = sorted(by_primary.items(), key=lambda item: (-len(item[1]), item[0]))
        unions = []
        for filiere, candidates in ranked[:wanted]:
            if len(candidates) < 2:
                break
            members = [d for d in candidates if rng.random() < 0.75]
            members = members if len(members) >= 2 else candidates[:2]
            union = Draft(id=self.take_id(Organisation), form=LegalForm.UNION,
                          status=rng.choices([OrganisationStatus.ACTIVE,
                                              OrganisationStatus.DORMANT], (9, 1))[0],
                          primary=filiere, filieres=[filiere], locality=commune.name_fr,
                          members=len(members), rsc_year=rng.randint(2015, 2026))
            union.name = (f"Union des coopératives {_de(self.tax.filiere_name[filiere].lower())} "
                          f"{_de(commune.name_fr)}")
            union.parent = self.federation_for(rng, region, filiere)
            for member in members:
                member.parent = union.id
            unions.append(union)
        return unions

    def federation_for(self, rng: random.Random, region: str, filiere: int) -> int | None:
        federations = self.federations.get(region)
        if not federations:
            return None
        sector = self.tax.filiere_sector[filiere]
        federation = next((f for f in federations if f[2] == sector), None)
        if federation is None or (federation[3] >= 2 and rng.random() < 0.4):
            return None
        federation[3] += 1
        return federation[0]

    def write_organisation(self, rng, commune: Commune, d: Draft, names: set[str]) -> None:
        region = commune.department.region.pcode
        d.name = self.unique_name(rng, commune, d, names)
        rsc_number, rsc_date = self.rsc(rng, commune, d)
        women_group = self.tax.filiere_code[d.primary] == "groupes_femmes"
        contact = (self.contact(rng, region, rng.random() < (0.9 if women_group else 0.45))
                   if rng.random() < 0.9 else ("", "", ""))
        lat, lon = commune.latitude, commune.longitude
        if lat is None or lon is None or rng.random() < 0.4:
            lat = lon = None
        else:
            lat = round(lat + rng.uniform(-0.04, 0.04), 5)
            lon = round(lon + rng.uniform(-0.04, 0.04), 5)
        self.sink.add(Organisation, (
            d.id, d.name, _acronym(d.name), d.form, rsc_number, rsc_date,
            self.ues(rng, region, d), commune.pk, d.locality, d.primary, d.status, d.members,
            d.women, d.youth, self.employees(rng, d), self.capital(rng, d),
            self.member_since(rng, commune, d), d.parent, d.converted_from, *contact,
            self.description(rng, d), lat, lon, _moment(rng), self.now))
        for filiere in d.filieres:
            self.sink.add(OrganisationFiliere, (self.take_id(OrganisationFiliere), d.id, filiere))
        if rsc_number:
            self.add_events(rng, d, rsc_number, rsc_date)

    def unique_name(self, rng, commune: Commune, d: Draft, names: set[str]) -> str:
        name = d.name or self.name(rng, commune, d)
        for numeral in ("", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X"):
            if name + numeral not in names:
                names.add(name + numeral)
                return name + numeral
        return f"{name} {d.id}"

    def name(self, rng: random.Random, commune: Commune, d: Draft) -> str:
        place, motto, actors = _de(d.locality), rng.choice(MOTTOS), self.actors(d.primary)
        if d.form == LegalForm.GIC:
            return f"GIC {motto} {place}" if rng.random() < 0.5 else f"GIC des {actors} {place}"
        if d.form == LegalForm.SCOOPS:
            return f"SCOOPS des {actors} {place}" if rng.random() < 0.7 else (
                f"SCOOPS {motto} {place}")
        if d.form == LegalForm.COOP_CA:
            return f"COOP-CA des {actors} {_de(commune.name_fr)}"
        if d.form == LegalForm.ASSOCIATION:
            return f"{rng.choice(ASSOCIATION_NAMES)} {place}"
        return f"{rng.choice(OTHER_NAMES)} {place}"

    def rsc(self, rng, commune: Commune, d: Draft) -> tuple[str | None, date | None]:
        """Most registered cooperatives, unions and federations carry an RSC number."""
        registrable = d.form in COOPERATIVE_FORMS | {LegalForm.UNION, LegalForm.FEDERATION}
        if not registrable or d.status == OrganisationStatus.IN_CREATION or rng.random() > 0.85:
            return None, None
        year = d.rsc_year or min(2026, 2012 + int(15 * rng.random() ** 0.7))
        day = _day(rng, date(year, 1, 1), min(date(year, 12, 31), LAST_DAY))
        department = commune.department.pcode[2:]
        while True:
            self.rsc_counter[department, year] += 1
            number = f"CM-{department}-{year}-C-{self.rsc_counter[department, year]:04d}"
            if number not in self.rsc_taken:
                self.rsc_taken.add(number)
                return number, day

    def ues(self, rng: random.Random, region: str, d: Draft) -> str:
        if d.status != OrganisationStatus.ACTIVE or d.form == LegalForm.GIC or rng.random() > 0.2:
            return ""
        self.ues_counter[region] += 1
        return f"UES-{region[2:]}-{rng.randint(2022, 2026)}-{self.ues_counter[region]:05d}"

    def employees(self, rng: random.Random, d: Draft) -> int:
        if d.form == LegalForm.COOP_CA:
            return 1 + int(rng.lognormvariate(1.0, 0.7))
        if d.form in (LegalForm.UNION, LegalForm.FEDERATION):
            return rng.randint(1, 8)
        return rng.choices((0, 1, 2, 3), (60, 25, 10, 5))[0]

    def capital(self, rng: random.Random, d: Draft) -> int:
        if d.form in COOPERATIVE_FORMS:
            return d.members * rng.choice((2_000, 5_000, 10_000, 25_000))
        if d.form in (LegalForm.UNION, LegalForm.FEDERATION):
            return rng.choice((100_000, 250_000, 500_000, 1_000_000))
        return rng.choice((0, 0, 0, 50_000, 100_000))

    def member_since(self, rng: random.Random, commune: Commune, d: Draft) -> date | None:
        founded = self.reless_plan[commune.pk][0]
        joins = d.status in (OrganisationStatus.ACTIVE, OrganisationStatus.DORMANT)
        if not joins or d.form == LegalForm.FEDERATION or rng.random() > 0.55:
            return None
        return _day(rng, founded, max(founded, LAST_DAY))

    def description(self, rng: random.Random, d: Draft) -> str:
        if rng.random() < 0.5:
            return ""
        return (f"{LegalForm(d.form).label} de la filière "
                f"{self.tax.filiere_name[d.primary].lower()} à {d.locality}.")

    def add_events(self, rng, d: Draft, number: str, registered: date) -> None:
        events = [(RegistryEvent.Kind.REGISTRATION, registered, number,
                   "Immatriculation au Registre des sociétés coopératives")]
        if rng.random() < 0.18:
            events.append((RegistryEvent.Kind.MODIFICATION,
                           _day(rng, min(registered + timedelta(days=30), LAST_DAY), LAST_DAY),
                           f"{number}/M1", rng.choice(["Modification des statuts",
                                                       "Renouvellement des organes de gestion",
                                                       "Augmentation du capital social"])))
        if d.status == OrganisationStatus.DISSOLVED:
            events.append((RegistryEvent.Kind.DISSOLUTION,
                           _day(rng, min(registered + timedelta(days=180), LAST_DAY), LAST_DAY),
                           f"{number}/D", "Dissolution votée en assemblée générale"))
        for kind, day, reference, note in events:
            self.sink.add(RegistryEvent, (self.take_id(RegistryEvent), d.id, kind, day,
                                          reference, note))

    def fill_box(self, commune: Commune, drafts: list[Draft]) -> None:
        box = Box()
        for d in drafts:
            position = len(box.ids)
            box.ids.append(d.id)
            box.forms.append(d.form)
            box.statuses.append(d.status)
            box.members.append(d.members)
            box.filieres.append(tuple(d.filieres))
            box.names.append(d.name)
            for filiere in d.filieres:
                box.by_filiere.setdefault(filiere, []).append(position)
        self.boxes[commune.pk] = box

    # -- cooperation links ---------------------------------------------------------------------

    def add_links(self, commune: Commune, wanted: int) -> None:
        """Links from the commune's organisations: mostly within the commune and a filière,
        some across filières or to a neighbouring commune; never self or duplicate links."""
        box, rng = self.boxes[commune.pk], self.rng("links", commune.pcode)
        if len(box.ids) < 2 or wanted <= 0:
            return
        pull = {OrganisationStatus.ACTIVE: 3, OrganisationStatus.DORMANT: 1.5,
                OrganisationStatus.IN_CREATION: 1, OrganisationStatus.DISSOLVED: 0.3}
        weights = list(itertools.accumulate(
            math.sqrt(m + 4) * pull[s] for m, s in zip(box.members, box.statuses, strict=True)))
        positions = range(len(box.ids))
        made = attempts = 0
        while made < wanted and attempts < wanted * 6:
            attempts += 1
            source = rng.choices(positions, cum_weights=weights)[0]
            other, target = self.partner(rng, commune, box, source)
            made += self.add_link(rng, box, source, other, target)

    def partner(self, rng, commune: Commune, box: Box, source: int) -> tuple[Box, int]:
        draw = rng.random()
        if draw < CROSS_COMMUNE_SHARE and (other := self.neighbour(rng, commune)) is not None:
            pool = other.by_filiere.get(rng.choice(box.filieres[source]))
            if pool and rng.random() < 0.7:
                return other, rng.choice(pool)
            return other, rng.randrange(len(other.ids))
        if draw < CROSS_COMMUNE_SHARE + SAME_FILIERE_SHARE:
            pool = box.by_filiere[rng.choice(box.filieres[source])]
            if len(pool) > 1:
                return box, rng.choice(pool)
        return box, rng.randrange(len(box.ids))

    def neighbour(self, rng: random.Random, commune: Commune) -> Box | None:
        """Another selected commune: mostly of the same department, else region, else any."""
        draw = rng.random()
        for level, key, share in (("department", commune.department_id, 0.65),
                                  ("region", commune.department.region_id, 0.9),
                                  ("all", None, 1.0)):
            pool = self.near[level][key]
            if draw < share and len(pool) > 1:
                for _ in range(3):
                    pk = rng.choice(pool)
                    if pk != commune.pk and self.boxes.get(pk) and self.boxes[pk].ids:
                        return self.boxes[pk]
        return None

    def add_link(self, rng, box: Box, source: int, other: Box, target: int) -> int:
        source_id, target_id = box.ids[source], other.ids[target]
        if source_id == target_id:
            return 0
        shared = not set(box.filieres[source]).isdisjoint(other.filieres[target])
        kind = rng.choices(range(len(KINDS)),
                           SAME_FILIERE_KINDS if shared else CROSS_FILIERE_KINDS)[0]
        low, high = sorted((source_id, target_id))
        key = (low << 43) | (high << 3) | kind
        if key in self.link_keys:
            return 0
        self.link_keys.add(key)
        status = self.link_status(rng, box.statuses[source], other.statuses[target])
        start = end = None
        if status != LinkStatus.PROPOSED or rng.random() < 0.3:
            start = _recent_day(rng, date(2015, 1, 1), LAST_DAY)
        if status == LinkStatus.ENDED:
            end = _day(rng, min(start + timedelta(days=90), LAST_DAY), LAST_DAY)
        elif status == LinkStatus.CONFIRMED and rng.random() < 0.05:
            end = _day(rng, date(2027, 1, 1), date(2028, 12, 31))  # planned end of a contract
        confirmed = status != LinkStatus.PROPOSED
        note = NOTES[KINDS[kind]] if rng.random() < 0.2 else ""
        self.sink.add(CooperationLink, (self.take_id(CooperationLink), source_id, target_id,
                                        KINDS[kind], status, True, confirmed, start, end, note,
                                        _moment(rng)))
        return 1

    @staticmethod
    def link_status(rng: random.Random, source: str, target: str) -> str:
        ends = {source, target}
        if OrganisationStatus.DISSOLVED in ends:
            return LinkStatus.ENDED
        if OrganisationStatus.IN_CREATION in ends:
            return LinkStatus.PROPOSED
        confirmed = 0.6 if OrganisationStatus.DORMANT in ends else 0.85
        draw = rng.random()
        if draw < confirmed:
            return LinkStatus.CONFIRMED
        return LinkStatus.PROPOSED if draw < confirmed + 0.1 else LinkStatus.ENDED

    # -- RELESS and bureau ---------------------------------------------------------------------

    def plan_reless(self, commune: Commune) -> None:
        rng = self.rng("reless", commune.pcode)
        status = rng.choices(list(Reless.Status.values), (20, 75, 5))[0]
        founded = (_day(rng, date(2025, 1, 1), date(2026, 6, 30))
                   if status == Reless.Status.IN_CREATION
                   else _day(rng, date(2017, 1, 1), date(2024, 12, 31)))
        self.reless_plan[commune.pk] = (founded, status)

    def add_reless(self, commune: Commune) -> None:
        if commune.pk in self.has_reless:
            return
        rng, box = self.rng("bureau", commune.pcode), self.boxes[commune.pk]
        founded, status = self.reless_plan[commune.pk]
        reless = self.take_id(Reless)
        self.sink.add(Reless, (reless, commune.pk, f"RELESS {_de(commune.name_fr)}", founded,
                               status))
        offices = [BureauMember.Office.PRESIDENT, BureauMember.Office.SECRETARY,
                   BureauMember.Office.TREASURER]
        offices += [o for o, share in ((BureauMember.Office.VICE_PRESIDENT, 0.5),
                                       (BureauMember.Office.AUDITOR, 0.4)) if rng.random() < share]
        pool = [i for i, (form, status) in enumerate(zip(box.forms, box.statuses, strict=True))
                if status == OrganisationStatus.ACTIVE and form in UNION_MEMBER_FORMS]
        seats = rng.sample(pool, min(len(pool), len(offices) + 1))
        start = founded if founded.year >= 2023 else _day(rng, date(2023, 1, 1), date(2025, 6, 30))
        region = commune.department.region.pcode
        for i, office in enumerate(offices):
            self.add_bureau_member(rng, reless, region, office, box, seats[i:i + 1], start,
                                   _years_later(start, 3))
        if start > founded:  # the president of the first mandate
            self.add_bureau_member(rng, reless, region, BureauMember.Office.PRESIDENT, box,
                                   seats[len(offices):], founded, start - timedelta(days=1))

    def add_bureau_member(self, rng, reless, region, office, box, seat, start, end) -> None:
        organisation = box.ids[seat[0]] if seat else None
        self.sink.add(BureauMember, (self.take_id(BureauMember), reless,
                                     self.person(rng, region, rng.random() < 0.4), office,
                                     organisation, start, end))

    # -- diagnostic ----------------------------------------------------------------------------

    def add_diagnostic(self, commune: Commune, entries: int) -> None:
        """A validated PCD diagnostic of 2024 or 2025, with its entries, ideas, actors and
        resources (none when the commune already has a validated one that year)."""
        rng = self.rng("diagnostic", commune.pcode)
        year = rng.choice((2024, 2025))
        if (commune.pk, year) in self.validated:
            return
        diagnostic = self.take_id(TerritorialDiagnostic)
        validated = _moment(rng, date(year, 3, 1), date(year, 12, 15))
        self.sink.add(TerritorialDiagnostic, (
            diagnostic, commune.pk, year, TerritorialDiagnostic.Source.PCD,
            TerritorialDiagnostic.Status.VALIDATED, validated,
            validated - timedelta(days=rng.randint(20, 120))))
        needs = self.add_entries(rng, commune, diagnostic, entries)
        self.add_ideas(rng, diagnostic, year, needs)
        self.add_actors(rng, commune, diagnostic)
        self.add_resources(rng, commune, diagnostic)

    def entry_sectors(self, rng: random.Random, commune: Commune, count: int) -> Counter:
        """How many entries each sector gets: a weighted sample of sectors, each at least one."""
        region = commune.department.region.pcode
        zone = {self.tax.filiere_sector[f] for f in self.tax.zone(region)[0]}
        sectors = sorted(self.tax.sector_code)
        weight = {s: SECTOR_WEIGHTS.get(self.tax.sector_code[s], 1) * (2 if s in zone else 1)
                  for s in sectors}
        wanted = min(len(sectors), max(3, round(count / 4.5)), count)
        chosen = sorted(sorted(sectors, key=lambda s: -rng.random() ** (1 / weight[s]))[:wanted])
        counts = Counter(chosen)
        counts.update(rng.choices(chosen, [weight[s] for s in chosen], k=count - len(chosen)))
        return counts

    def add_entries(self, rng, commune: Commune, diagnostic: int, count: int) -> list[tuple]:
        needs = []
        for sector, n in sorted(self.entry_sectors(rng, commune, count).items()):
            for rank in range(1, n + 1):
                place = self.locality(rng, commune)
                problem, potential, need = self.entry_text(rng, commune, sector, place)
                level = (Level.INSTITUTION
                         if self.tax.sector_code[sector] == "institution_communale"
                         else Level.URBAN if rng.random() < 0.2 else Level.VILLAGE)
                place = "" if level == Level.INSTITUTION else place
                self.sink.add(DiagnosticEntry, (self.take_id(DiagnosticEntry), diagnostic, sector,
                                                level, place, problem, potential, need, rank))
                needs.append((sector, need, place, rank))
        return needs

    def entry_text(self, rng, commune: Commune, sector: int, place: str) -> tuple[str, str, str]:
        code = self.tax.sector_code[sector]
        problems, potentials, needs = ENTRY_TEXTS.get(code, GENERIC_TEXTS)
        filiere = self.sector_filiere(rng, commune, sector)
        name = (self.tax.filiere_name[filiere] if filiere else self.tax.sector_name[sector]).lower()
        actors = self.actors(filiere) if filiere else "acteurs du secteur"
        values = {"loc": place, "s": self.tax.sector_name[sector].lower(), "f": name,
                  "de_f": _de(name), "actors": actors, "Actors": actors[:1].upper() + actors[1:]}
        return tuple(rng.choice(texts).format(**values) for texts in (problems, potentials, needs))

    def sector_filiere(self, rng, commune: Commune, sector: int) -> int | None:
        """A filière of the sector present in the commune, else of the zone, else any."""
        box = self.boxes.get(commune.pk)
        zone = self.tax.zone(commune.department.region.pcode)[0]
        of_sector = self.tax.sector_filieres.get(sector, [])
        for pool in ([f for f in of_sector if box and box.by_filiere.get(f)],
                     [f for f in of_sector if f in zone], of_sector):
            if pool:
                return rng.choice(pool)
        return None

    def add_ideas(self, rng, diagnostic: int, year: int, needs: list[tuple]) -> None:
        top = [n for n in needs if n[3] <= 2] or needs
        for rank, (sector, need, place, _) in enumerate(
                rng.sample(top, min(len(top), rng.randint(3, 8))), start=1):
            cost = round(min(2e9, math.exp(rng.gauss(17.2, 0.9))), -5)
            status = rng.choices(list(ProjectIdea.Status.values), (50, 25, 15, 5, 5))[0]
            self.sink.add(ProjectIdea, (self.take_id(ProjectIdea), diagnostic, sector, need[:200],
                                        place, int(cost), rank, year + rng.randint(1, 3), status))

    def add_actors(self, rng, commune: Commune, diagnostic: int) -> None:
        sectors = {code: pk for pk, code in self.tax.sector_code.items()}
        region = commune.department.region.pcode
        for kind, name, sector, role in rng.sample(ACTORS_TEMPLATES, rng.randint(4, 9)):
            values = {"commune": _de(commune.name_fr), "loc": _de(self.locality(rng, commune)),
                      "last": rng.choice(LAST_NAMES[REGION_AREA.get(region, "beti")]),
                      "ngo": rng.choice(NGOS)}
            self.sink.add(DiagnosticActor, (self.take_id(DiagnosticActor), diagnostic,
                                            name.format(**values), kind, sectors.get(sector),
                                            role))

    def add_resources(self, rng, commune: Commune, diagnostic: int) -> None:
        for kind, texts in RESOURCE_TEXTS.items():
            for text in rng.sample(texts, rng.randint(1, 2)):
                self.sink.add(TerritorialResource, (
                    self.take_id(TerritorialResource), diagnostic, kind,
                    text.format(loc=self.locality(rng, commune))))

    # -- interventions -------------------------------------------------------------------------

    def add_interventions(self, commune: Commune, count: int) -> None:
        """Ministries' actions dated to overlap 2024-2026, each by the ministry supervising its
        filière's (or its own) sector, reaching some of the commune's organisations."""
        rng, box = self.rng("interventions", commune.pcode), self.boxes[commune.pk]
        by_sector: dict[int, list[int]] = {}
        for filiere, positions in box.by_filiere.items():
            by_sector.setdefault(self.tax.filiere_sector[filiere], []).extend(positions)
        for _ in range(count):
            filiere, sector = self.intervention_target(rng, commune, box)
            start = _day(rng, date(2023, 1, 1), date(2026, 9, 30))
            end = None if rng.random() < 0.12 else start + timedelta(days=rng.randint(180, 1460))
            if end is not None and end < date(2024, 1, 1):
                end = _day(rng, date(2024, 1, 1), date(2024, 12, 31))
            budget = int(round(min(2e9, max(1e6, math.exp(rng.gauss(16.8, 1.0)))), -5))
            intervention = self.take_id(Intervention)
            self.sink.add(Intervention, (
                intervention, self.tax.sector_ministry[sector], commune.pk,
                self.programme(rng, commune, sector, filiere), filiere, sector, start, end, budget,
                _moment(rng)))
            self.add_beneficiaries(rng, box, intervention, box.by_filiere.get(filiere)
                                   or by_sector.get(sector, []))

    def intervention_target(self, rng, commune: Commune, box: Box) -> tuple[int | None, int]:
        draw = rng.random()
        if draw < 0.75 and box.ids:
            filiere = rng.choice(box.filieres[rng.randrange(len(box.ids))])
        elif draw < 0.88:
            filiere = self.zone_filiere(rng, commune.department.region.pcode)
        else:
            return None, rng.choice(sorted(self.tax.sector_code))
        return filiere, self.tax.filiere_sector[filiere]

    def programme(self, rng, commune: Commune, sector: int, filiere: int | None) -> str:
        acronym = self.tax.ministry_acronym[self.tax.sector_ministry[sector]]
        subject = (self.tax.filiere_name[filiere] if filiere else self.tax.sector_name[sector])
        templates = PROGRAMMES.get(acronym, []) if filiere else []
        template = rng.choice(templates or [f"Programme {acronym} d'appui : {{f}} {{commune}}"])
        return template.format(f=subject.lower(), commune=_de(commune.name_fr))[:200]

    def add_beneficiaries(self, rng, box: Box, intervention: int, pool: list[int]) -> None:
        pool = sorted({p for p in pool if box.statuses[p] != OrganisationStatus.DISSOLVED})
        wanted = rng.choices(range(9), (6, 14, 16, 16, 14, 12, 10, 7, 5))[0]
        for position in rng.sample(pool, min(wanted, len(pool))):
            self.sink.add(BENEFICIARY, (self.take_id(BENEFICIARY), intervention,
                                        box.ids[position]))


def _years_later(day: date, years: int) -> date:
    """The day before the same date `years` later: the end of a mandate started on `day`."""
    return date(day.year + years, day.month, min(day.day, 28)) - timedelta(days=1)


# Sectors the PCDs list most needs in, by sector code (others weigh 1).
SECTOR_WEIGHTS = {"agriculture": 5, "eau_energie": 4, "travaux_publics": 4, "elevage": 3,
                  "sante": 3, "education_base": 3, "pme_ess": 2, "commerce": 2, "forets": 2,
                  "institution_communale": 2, "enseignements_secondaires": 2,
                  "promotion_femme": 2, "jeunesse": 2, "emploi_formation": 2}
GENERIC_TEXTS = (
    ["Accès insuffisant aux services ({s}) à {loc}", "Faible couverture du secteur {s}",
     "Manque de personnel qualifié ({s})"],
    ["Volonté des populations de s'organiser", "Appui possible des élites et de la diaspora",
     "Partenaires présents dans la commune"],
    ["Renforcement de l'offre de services ({s}) à {loc}", "Étude et plan d'action : {s}",
     "Formation des acteurs locaux ({s})"])
ENTRY_TEXTS = {
    "agriculture": (
        ["Faible productivité de la filière {f} à {loc}", "Difficultés d'écoulement de la "
         "production ({f})", "Coût élevé des intrants agricoles ({f})",
         "Pertes post-récolte importantes ({f})", "Semences et plants de mauvaise qualité ({f})"],
        ["Terres fertiles disponibles à {loc}", "{Actors} déjà organisés en GIC",
         "Forte demande urbaine ({f})", "Marché périodique à {loc}"],
        ["Appui en semences et plants améliorés ({f})",
         "Construction d'un magasin de stockage à {loc}",
         "Formation des {actors} aux bonnes pratiques",
         "Acquisition d'équipements de transformation ({f})",
         "Structuration des {actors} en coopératives"]),
    "elevage": (
        ["Maladies fréquentes du cheptel ({f})", "Coût élevé de l'aliment ({f})",
         "Absence de structure de commercialisation ({f})"],
        ["Pâturages et points d'eau disponibles", "Savoir-faire des {actors}",
         "Demande locale forte ({f})"],
        ["Construction d'un parc vaccinogène à {loc}", "Appui en géniteurs améliorés ({f})",
         "Création d'une provenderie communautaire", "Formation des {actors}"]),
    "forets": (
        ["Exploitation anarchique des ressources ({f})", "Faible valorisation ({f})"],
        ["Massif forestier riche à {loc}", "Forêt communautaire attribuée"],
        ["Appui à la transformation ({f})", "Plan simple de gestion de la forêt "
         "communautaire", "Reboisement des espaces dégradés à {loc}"]),
    "eau_energie": (
        ["Manque de points d'eau potable à {loc}", "Forages en panne à {loc}",
         "Absence d'électricité à {loc}"],
        ["Nappe phréatique accessible", "Cours d'eau permanents", "Ensoleillement important"],
        ["Construction d'un forage équipé à {loc}", "Réhabilitation des points d'eau de {loc}",
         "Extension du réseau électrique à {loc}", "Installation de lampadaires solaires"]),
    "travaux_publics": (
        ["Routes impraticables en saison des pluies ({loc})", "Ponts dégradés à {loc}",
         "Enclavement des bassins de production"],
        ["Comités de route actifs", "Matériaux disponibles localement"],
        ["Réhabilitation de la piste rurale desservant {loc}", "Construction d'un pont à {loc}",
         "Entretien des routes communales par la méthode HIMO"]),
    "sante": (
        ["Centre de santé sous-équipé à {loc}", "Éloignement des formations sanitaires",
         "Faible couverture vaccinale"],
        ["Relais communautaires formés", "Mutuelle de santé en création"],
        ["Équipement du centre de santé de {loc}", "Construction d'un centre de santé à {loc}",
         "Appui à la mutuelle de santé communale"]),
    "education_base": (
        ["Insuffisance de salles de classe à l'école de {loc}", "Manque d'enseignants",
         "Absence de tables-bancs"],
        ["Forte demande scolaire", "Associations de parents d'élèves actives"],
        ["Construction de deux salles de classe à {loc}", "Dotation en tables-bancs à {loc}",
         "Construction de latrines scolaires à {loc}"]),
    "pme_ess": (
        ["Faible accès au crédit des unités de l'économie sociale", "Artisans peu organisés",
         "Absence de local pour le RELESS"],
        ["Savoir-faire artisanal ({f})", "RELESS en place", "Jeunes disposés à entreprendre"],
        ["Création d'un centre artisanal à {loc}", "Appui à la structuration du RELESS",
         "Fonds de garantie pour les coopératives", "Formation à la gestion coopérative"]),
    "commerce": (
        ["Marché sans hangar à {loc}", "Intermédiaires imposant les prix"],
        ["Marché périodique fréquenté à {loc}", "Axe routier vers les grandes villes"],
        ["Construction d'un hangar de marché à {loc}", "Organisation de ventes groupées"]),
    "institution_communale": (
        ["Faible mobilisation des recettes propres", "Personnel communal insuffisant",
         "Archives communales non informatisées"],
        ["Conseil municipal engagé", "Partenariats intercommunaux"],
        ["Formation du personnel communal", "Informatisation des services de la commune",
         "Élaboration d'un plan de mobilisation des recettes"]),
    "promotion_femme": (
        ["Faible accès des femmes au foncier et au crédit", "Groupements de femmes peu "
         "structurés"],
        ["Groupements de femmes dynamiques à {loc}", "Tontines de femmes"],
        ["Appui aux activités génératrices de revenus des femmes", "Construction d'un centre "
         "de promotion de la femme à {loc}"]),
    "jeunesse": (
        ["Chômage et exode rural des jeunes", "Absence d'espaces d'encadrement des jeunes"],
        ["Jeunesse nombreuse et disponible", "Associations de jeunes à {loc}"],
        ["Appui aux projets agropastoraux des jeunes", "Construction d'un centre multifonctionnel "
         "de promotion des jeunes"]),
    "emploi_formation": (
        ["Manque de structures de formation professionnelle", "Jeunes sans qualification"],
        ["Artisans pouvant accueillir des apprentis"],
        ["Création d'une SAR/SM à {loc}", "Formation des jeunes aux métiers ({f})"]),
}
ACTORS_TEMPLATES = [
    ("public", "Délégation d'arrondissement de l'agriculture et du développement rural {commune}",
     "agriculture", "Encadrement des producteurs"),
    ("public", "Délégation d'arrondissement de l'élevage, des pêches et des industries "
     "animales {commune}", "elevage", "Suivi sanitaire du cheptel"),
    ("public", "Centre de santé intégré {loc}", "sante", "Soins de santé primaires"),
    ("public", "École publique {loc}", "education_base", "Enseignement primaire"),
    ("public", "Commune {commune}", "institution_communale", "Maîtrise d'ouvrage communale"),
    ("community", "Comité de développement {loc}", None, "Mobilisation des populations"),
    ("community", "Comité de gestion du point d'eau {loc}", "eau_energie",
     "Entretien des ouvrages hydrauliques"),
    ("community", "Caisse villageoise d'épargne {loc}", "pme_ess", "Épargne et microcrédit"),
    ("traditional", "Chefferie traditionnelle {loc}", "administration_territoriale",
     "Médiation et accès au foncier"),
    ("ngo", "ONG {ngo}", "pme_ess", "Accompagnement des coopératives"),
    ("ngo", "ONG {ngo}", "sante", "Sensibilisation sanitaire"),
    ("private", "Établissements {last} et Fils", "commerce", "Achat et collecte des produits"),
    ("private", "Quincaillerie {last}", "habitat", "Fourniture de matériaux"),
    ("other", "Radio communautaire {commune}", "communication", "Information des populations"),
]
NGOS = ["Agir Ensemble pour le Développement", "Terres Vivantes", "Horizon Rural",
        "Mains Solidaires", "Savoirs Paysans", "Semences d'Avenir", "Femmes et Progrès"]
RESOURCE_TEXTS = {
    TerritorialResource.Kind.HUMAN: [
        "Jeunes diplômés disponibles à {loc}", "Main-d'œuvre agricole abondante",
        "Artisans qualifiés", "Élites engagées dans le développement local"],
    TerritorialResource.Kind.COGNITIVE: [
        "Savoir-faire traditionnel de transformation", "Centre d'éducation et d'action "
        "communautaire à {loc}", "Expérience des GIC en production semencière"],
    TerritorialResource.Kind.SOCIAL: [
        "Forte tradition d'entraide et de travaux collectifs", "Associations de ressortissants "
        "actives", "Comités de développement dans chaque village"],
    TerritorialResource.Kind.FINANCIAL: [
        "Tontines et caisses villageoises à {loc}", "Transferts de la diaspora",
        "Budget d'investissement public alloué à la commune"],
    TerritorialResource.Kind.NATURAL: [
        "Terres arables disponibles à {loc}", "Cours d'eau permanents", "Forêt riche en "
        "produits non ligneux", "Carrières de sable et de latérite"],
}
PROGRAMMES = {
    "MINADER": ["Programme d'appui à la filière {f}", "Distribution de semences et plants "
                "({f}) {commune}", "Projet de mécanisation et de transformation ({f})",
                "Appui aux coopératives de la filière {f}"],
    "MINEPIA": ["Programme de développement de la filière {f}", "Appui aux éleveurs et "
                "pisciculteurs ({f}) {commune}", "Amélioration de la productivité ({f})"],
    "MINFOF": ["Gestion durable des ressources forestières ({f})",
               "Valorisation des produits forestiers ({f}) {commune}"],
    "MINPMEESA": ["Programme d'appui au RELESS {commune}", "Appui aux unités de l'économie "
                  "sociale ({f})", "Incubation d'entreprises sociales ({f})"],
    "MINCOMMERCE": ["Organisation des ventes groupées ({f}) {commune}"],
    "MINEE": ["Programme d'hydraulique villageoise {commune}", "Électrification rurale "
              "{commune}"],
    "MINSANTE": ["Appui aux mutuelles de santé {commune}", "Programme de santé communautaire"],
    "MINEFOP": ["Programme d'insertion des jeunes ({f})", "Formation aux métiers ({f})"],
    "MINPROFF": ["Autonomisation économique des femmes ({f})"],
    "MINJEC": ["Appui aux initiatives économiques des jeunes ({f})"],
}


# ---------------------------------------------------------------------------------------------
# Entry point


@dataclass
class GenerationResult:
    communes: list[Commune]
    counts: dict[str, int] = field(default_factory=dict)  # model label -> rows written
    skipped: bool = False
    message: str = ""


def generate_dataset(*, scale: str, seed: int, pcodes: list[str] | None = None,
                     progress: Callable[[str], None] | None = None) -> GenerationResult:
    """Generate the dataset of `scale` for `seed` in the selected communes (see
    `select_communes`), in one transaction. Does nothing when any of them already holds
    organisations, so a second run is a no-op. `progress` receives a line per phase.

    Scales: tiny and demo give each selected commune about 30 (75) organisations, 75 (200)
    links, 20 (40) diagnostic entries and 5 (12) interventions; national spreads 200,000
    organisations, 1,000,000 links, 50,000 entries and 20,000 interventions over them."""
    if scale not in SCALES:
        raise DatasetError(f"Unknown scale {scale!r}: choose one of {', '.join(SCALES)}.")
    communes = select_communes(scale, pcodes)
    if not communes:
        raise DatasetError("No communes in the database: run `manage.py import_ocha` first.")
    taken = (Organisation.objects.filter(commune__in=communes).values("commune_id")
             .distinct().count())
    if taken:
        return GenerationResult(communes, skipped=True, message=(
            f"{taken} of the {len(communes)} selected communes already hold organisations: "
            "nothing generated."))
    taxonomy = Taxonomy.load()
    with transaction.atomic():
        written = Generator(scale=SCALES[scale], seed=seed, communes=communes,
                            taxonomy=taxonomy, progress=progress).run()
    freshness.renew_all()  # bulk rows send no signals: retire every cached figure
    if connection.vendor == "postgresql":
        # VACUUM marks the new pages all-visible (index-only counts read no table pages) even
        # where autovacuum is off; it cannot run inside a transaction (tests), ANALYZE can.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for model, _ in COLUMNS:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    return GenerationResult(communes, {model._meta.label: written[model]
                                       for model, _ in COLUMNS if written[model]})


# ---------------------------------------------------------------------------------------------
# Demo accounts: fixed passwords, for demonstrations only, never in production


DEMO_EMAIL_DOMAIN = "demo.reless.invalid"  # marks the demo accounts (and cannot receive mail)
DEMO_PASSWORDS = {"admin": "demo-admin-reless", "agent": "demo-agent-reless",
                  "rep": "demo-representant", "analyst": "demo-analyste-reless"}
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


def create_demo_accounts(*, communes: Iterable[Commune]) -> list[tuple[str, str, str]]:
    """The demo cast, created once: a national admin, a CTD agent per given commune, two
    cooperative representatives (organisations of those communes) and MINADER and MINEPIA
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
             .prefetch_related("roles__commune", "roles__organisation", "roles__ministry")
             .order_by("username"))
    rows = []
    for user in users:
        if user.username.split(".", 1)[0] not in DEMO_PASSWORDS:
            continue
        roles = "; ".join(str(r).split(" · ", 1)[-1] for r in user.roles.all()) or "—"
        rows.append((user.username, demo_password(user.username), roles))
    return rows
