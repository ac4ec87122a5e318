"""What an organisation file holds: its columns (template headers and accepted aliases), the
model fields they set and their defaults, and the words and lookups that turn cells into
legal forms, statuses, filières and communes."""

from collections import defaultdict

from django.utils import translation

from communes.models import Commune
from sectors.models import Filiere

from ..models import ContactConsent, LegalForm, MemberInterest, OrganisationStatus
from .reading import header_aliases, normalize

# field -> (the template's French header, other accepted headers); normalised like `normalize`.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("nom", ("name", "nom de l organisation", "raison sociale", "denomination")),
    "acronym": ("sigle", ("acronym", "abbreviation")),
    "legal_form": ("forme_juridique", ("legal form", "forme")),
    "rsc_number": ("numero_rsc", ("rsc", "n rsc", "no rsc", "rsc number", "rsc no")),
    "rsc_date": ("date_rsc", ("rsc date", "date d immatriculation", "registration date")),
    "niu": ("niu", ("niu taxpayer number", "niu numero de contribuable", "numero contribuable",
                    "numero d identifiant unique", "taxpayer number", "n niu", "no niu")),
    "ues_number": ("numero_ues", ("ues", "n ues", "no ues", "ues number",
                                  "ues register number", "numero au registre des ues",
                                  "numero du registre des ues")),
    "commune": ("commune", ("pcode", "commune pcode", "code commune", "municipality")),
    "locality": ("localite", ("locality", "village", "quartier")),
    "primary_filiere": ("filiere_principale", ("filiere", "primary filiere",
                                               "main filiere", "primary value chain",
                                               "value chain")),
    "other_filieres": ("autres_filieres", ("other filieres", "filieres", "other value chains",
                                           "value chains")),
    "status": ("statut", ("status", "etat")),
    "member_interest": ("interet_des_membres", ("member interest", "type by member interest",
                                                "type selon l interet des membres",
                                                "type de cooperative")),
    "members_total": ("membres", ("members", "nombre de membres", "members total")),
    "members_women": ("femmes", ("women", "women members", "membres femmes")),
    "members_youth": ("jeunes", ("youth", "members under 35", "under 35",
                                 "moins de 35 ans")),
    "worker_members": ("membres_travailleurs", ("worker members", "membres travailleurs")),
    "producer_members": ("membres_producteurs", ("producer members", "membres producteurs")),
    "employees": ("employes", ("employees", "salaries", "staff")),
    "share_capital": ("capital_social", ("share capital", "capital")),
    "reless_member_since": ("membre_reless_depuis", ("reless member since",
                                                     "membre du reless depuis")),
    "contact_name": ("contact_nom", ("contact name", "contact", "personne de contact")),
    "contact_phone": ("contact_telephone", ("contact phone", "telephone", "phone", "tel")),
    "contact_email": ("contact_email", ("contact email", "email", "e mail", "courriel")),
    # How the contact person consented (papier, en personne): recorded with the row.
    "contact_consent": ("contact_consentement", ("contact consent", "consent", "consentement",
                                                 "consentement du contact")),
}
TEMPLATE_HEADERS = [french for french, _others in COLUMNS.values()]
REQUIRED_COLUMNS = ("name",)
TEXT_LIMITS = {"name": 200, "acronym": 40, "rsc_number": 60, "locality": 120,
               "contact_name": 120, "contact_phone": 40, "contact_email": 254}
COUNT_FIELDS = ("members_total", "members_women", "members_youth", "worker_members",
                "producer_members", "employees")
# Plain digits shorter than this are a valid count as they are (below the column's maximum).
COUNT_DIGITS = {**dict.fromkeys(COUNT_FIELDS, 10), "share_capital": 19}
# Fields whose valid cells repeat (codes, labels, dates): parsed once per distinct text.
MEMO_FIELDS = frozenset({"contact_consent", "legal_form", "status", "commune", "member_interest",
                         "primary_filiere", "other_filieres", "rsc_date",
                         "reless_member_since"})
# The organisation's fields an import sets (the commune and filières are set apart).
MODEL_FIELDS = ("name", "acronym", "legal_form", "rsc_number", "rsc_date", "niu", "ues_number",
                "locality", "primary_filiere_id", "status", "member_interest",
                "members_total", "members_women", "members_youth", "worker_members",
                "producer_members", "employees", "share_capital", "reless_member_since",
                "contact_name", "contact_phone", "contact_email")
MODEL_KEYS = frozenset(MODEL_FIELDS) - {"primary_filiere_id"}
DEFAULTS = {"acronym": "", "rsc_number": None, "rsc_date": None, "niu": None, "ues_number": "",
            "locality": "", "status": OrganisationStatus.ACTIVE, "member_interest": "",
            "members_total": 0, "members_women": 0, "members_youth": 0, "worker_members": 0,
            "producer_members": 0, "employees": 0, "share_capital": 0,
            "reless_member_since": None, "contact_name": "", "contact_phone": "",
            "contact_email": ""}
LEGAL_FORM_WORDS = {
    LegalForm.SCOOPS: ("scoops", "scoop", "societe cooperative simplifiee",
                       "simplified cooperative"),
    LegalForm.COOP_CA: ("coop ca", "coopca", "coop-ca", "cooperative avec conseil d "
                        "administration", "societe cooperative avec conseil d administration",
                        "cooperative with a board", "cooperative with board of directors"),
    LegalForm.UNION: ("union", "union de cooperatives", "union of cooperatives"),
    LegalForm.FEDERATION: ("federation", "federation de cooperatives"),
    LegalForm.GIC: ("gic", "groupe d initiative commune", "common initiative group"),
    LegalForm.ASSOCIATION: ("association",),
    LegalForm.OTHER: ("other", "autre", "autres"),
}
INTEREST_WORDS = {
    MemberInterest.PRODUCER: ("producteurs", "producteur", "cooperative de producteurs",
                              "producers", "producer"),
    MemberInterest.WORKER: ("travailleurs", "travailleur", "cooperative de travailleurs",
                            "workers", "worker"),
    MemberInterest.CONSUMER_USER: ("consommateurs", "usagers", "consommateurs ou usagers",
                                   "consommateurs usagers", "consumers", "users",
                                   "consumer user", "consumer"),
    MemberInterest.MULTI_STAKEHOLDER: ("multi parties prenantes", "multipartite",
                                       "multi stakeholder", "multistakeholder"),
}
CONSENT_WORDS = {
    ContactConsent.Method.PAPER: ("papier", "paper", "formulaire papier", "formulaire signe",
                                  "fiche signee", "signed form"),
    ContactConsent.Method.IN_PERSON: ("en personne", "in person", "oral", "verbal"),
}
STATUS_WORDS = {
    OrganisationStatus.IN_CREATION: ("in creation", "en creation", "en cours de creation"),
    OrganisationStatus.ACTIVE: ("active", "actif", "en activite"),
    OrganisationStatus.DORMANT: ("dormant", "dormante", "en sommeil", "inactive", "inactif"),
    OrganisationStatus.DISSOLVED: ("dissolved", "dissoute", "dissous"),
}
HEADER_ALIASES = header_aliases(COLUMNS)


def choice_lookup(words: dict, choices) -> dict[str, str]:
    """A choice's value by normalised value, French and English label and extra words."""
    lookup = {}
    for value, label in choices.choices:
        lookup[normalize(value)] = value
        for language in ("fr", "en"):
            with translation.override(language):
                text = str(label)
            lookup[normalize(text)] = value
            lookup[normalize(text.split("(")[0])] = value
    for value, aliases in words.items():
        lookup.update({normalize(alias): value for alias in aliases})
    return lookup


def filiere_lookup() -> dict[str, int]:
    """Filières by normalised code, French and English name (codes win over names)."""
    rows = list(Filiere.objects.values_list("pk", "code", "name_fr", "name_en"))
    lookup = {}
    for pk, _code, name_fr, name_en in rows:
        lookup[normalize(name_fr)] = pk
        if name_en:
            lookup[normalize(name_en)] = pk
    lookup.update({normalize(code): pk for pk, code, _fr, _en in rows})
    return lookup


def commune_lookup() -> dict[str, set[int]]:
    """Communes by normalised P-code and names; a name may belong to several communes."""
    lookup: dict[str, set[int]] = defaultdict(set)
    for pk, pcode, name_fr, name_en in Commune.objects.values_list(
            "pk", "pcode", "name_fr", "name_en"):
        for key in (pcode, name_fr, name_en):
            if key:
                lookup[normalize(key)].add(pk)
    return lookup

