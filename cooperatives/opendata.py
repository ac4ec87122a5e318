"""Open data: public figures and a dataset of organisations without any personal data.

The dataset lists every organisation of the registry (dissolved ones included, with their
status) with: id, name, acronym, legal form, commune (P-code and name), department and
region P-codes, filières (primary and all), status, members, women, members under 35 and
RELESS membership. Contacts are never read from the database here (`.only()` leaves them
out of the `.values()` query), nor bureau members, nor anyone's name.

Licence: Open Database License (ODbL) 1.0 for the data; territory names and P-codes come
from OCHA COD-AB Cameroon (INC), CC BY-IGO 3.0, and must be attributed.

JSON-LD uses the ESSGlobal vocabulary (http://purl.org/essglobal/vocab/) where it has a
term, schema.org otherwise, and three terms of the platform's own (`reless:`, documented on
the open-data page):

| field | term |
| --- | --- |
| organisation | `essglobal:SSEInitiative` and `schema:Organization` |
| name, acronym, id | `schema:name`, `schema:alternateName`, `schema:identifier` |
| legal form | `essglobal:legalForm` (its label, e.g. "SCOOPS") |
| filières | `essglobal:economicSector` (names); primary: `reless:primaryFiliere` (code) |
| commune | `essglobal:hasAddress` → `essglobal:Address`: `schema:addressLocality`,
  `schema:addressRegion`, `schema:addressCountry`, `schema:containedInPlace` (a
  `schema:AdministrativeArea`, the P-code as `schema:identifier`) |
| members, women | `essglobal:totalOfMembers`, `essglobal:totalWomen` |
| members under 35 | `reless:membersUnder35` (no term in either vocabulary) |
| status | `reless:status` (in_creation, active, dormant, dissolved) |
| RELESS membership | `schema:memberOf` → the commune's RELESS (`essglobal:Network`);
  `reless:relessMemberSince` (date) |
| the dataset | `schema:Dataset` with `schema:license`, `schema:creator`,
  `schema:dateModified`, `schema:isBasedOn` |
"""

import json
from collections.abc import Iterator

from django.db.models import Max
from django.utils import timezone, translation

from communes.models import Region
from core import csvsafe

from . import export_rows
from .models import LegalForm, Organisation, Reless
from .selectors_public import FIGURES, figures_by_commune, sum_figures

LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
LICENCE_NAME = "Open Database License (ODbL) 1.0"
TERRITORY_SOURCE = ("OCHA COD-AB Cameroon (Institut National de Cartographie), CC BY-IGO 3.0",
                    "https://data.humdata.org/dataset/cod-ab-cmr")
ESSGLOBAL = "http://purl.org/essglobal/vocab/"
SCHEMA = "https://schema.org/"
CSV_COLUMNS = ("id", "name", "acronym", "legal_form", "legal_form_label", "commune_pcode",
               "commune", "department_pcode", "region_pcode", "primary_filiere", "filieres",
               "filiere_names", "status", "members", "women", "youth", "reless_member",
               "reless_member_since")
# The only columns the dataset reads: no contact, no person.
READ_FIELDS = ("id", "name", "acronym", "legal_form", "status", "members_total",
               "members_women", "members_youth", "reless_member_since",
               "primary_filiere__code", "commune_id")


# Figures ----------------------------------------------------------------------------------------

def open_figures() -> dict:
    """Country, regions and communes: registered organisations (`registered()`: not
    dissolved), active ones, their members, women and members under 35 (summed over active
    organisations) and RELESS members: the home page's figures (selectors_public), grouped by
    region. Two queries (the territory, one grouped count)."""
    by_commune = figures_by_commune()
    regions = []
    for region in Region.objects.prefetch_related("departments__communes").order_by("pcode"):
        communes = [{"commune": c, **by_commune.get(c.pk, dict.fromkeys(FIGURES, 0))}
                    for d in sorted(region.departments.all(), key=lambda d: d.pcode)
                    for c in sorted(d.communes.all(), key=lambda c: c.pcode)]
        regions.append({"region": region, "communes": communes, **sum_figures(communes)})
    return {"country": {**sum_figures(regions), "regions": len(regions),
                        "communes": sum(len(r["communes"]) for r in regions),
                        "communes_with_organisations": sum(
                            1 for r in regions for c in r["communes"] if c["organisations"])},
            "regions": regions}


def last_modified():
    """When the registry last changed (an organisation's latest update), for caches."""
    return Organisation.objects.aggregate(latest=Max("updated_at"))["latest"]


# The dataset ------------------------------------------------------------------------------------

def dataset_records() -> Iterator[dict]:
    """Every organisation as a flat record of public fields, by id."""
    with translation.override("fr"):
        legal_labels = {value: str(label).split(" (")[0] for value, label in LegalForm.choices}
    relesses = dict(Reless.objects.values_list("commune_id", "name"))
    communes = export_rows.territory()
    organisations = Organisation.objects.order_by("pk")
    for o, filieres in export_rows.with_filieres(organisations, READ_FIELDS):
        commune = communes[o["commune_id"]]
        since = o["reless_member_since"]
        yield {
            "id": o["id"], "name": o["name"], "acronym": o["acronym"],
            "legal_form": o["legal_form"],
            "legal_form_label": legal_labels.get(o["legal_form"], o["legal_form"]),
            "commune_pcode": commune["pcode"], "commune": commune["name_fr"],
            "department_pcode": commune["department__pcode"],
            "region_pcode": commune["department__region__pcode"],
            "region": commune["department__region__name_fr"],
            "primary_filiere": o["primary_filiere__code"],
            "filieres": [code for code, _name in filieres],
            "filiere_names": [name for _code, name in filieres],
            "status": o["status"], "members": o["members_total"], "women": o["members_women"],
            "youth": o["members_youth"], "reless_member": since is not None,
            "reless_member_since": since,
            "reless": relesses.get(o["commune_id"]) or f"RELESS {commune['name_fr']}",
        }


def dataset_csv() -> Iterator[str]:
    """The dataset as CSV lines (UTF-8, comma-separated, lists joined with '|')."""
    writer = csvsafe.writer()
    yield writer.writerow(CSV_COLUMNS)
    for record in dataset_records():
        yield writer.writerow([_csv_value(record[c]) for c in CSV_COLUMNS])


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def jsonld_context(vocab: str) -> dict:
    """The JSON-LD context; `vocab` is the platform's own namespace (the open-data page)."""
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    return {
        "essglobal": ESSGLOBAL, "schema": SCHEMA, "reless": vocab,
        "name": "schema:name", "alternateName": "schema:alternateName",
        "identifier": "schema:identifier", "description": "schema:description",
        "legalForm": "essglobal:legalForm", "economicSector": "essglobal:economicSector",
        "primaryFiliere": "reless:primaryFiliere", "status": "reless:status",
        "totalOfMembers": {"@id": "essglobal:totalOfMembers", "@type": integer},
        "totalWomen": {"@id": "essglobal:totalWomen", "@type": integer},
        "membersUnder35": {"@id": "reless:membersUnder35", "@type": integer},
        "hasAddress": "essglobal:hasAddress",
        "addressLocality": "schema:addressLocality", "addressRegion": "schema:addressRegion",
        "addressCountry": "schema:addressCountry", "containedInPlace": "schema:containedInPlace",
        "memberOf": "schema:memberOf",
        "relessMemberSince": {"@id": "reless:relessMemberSince",
                              "@type": "http://www.w3.org/2001/XMLSchema#date"},
        "license": {"@id": "schema:license", "@type": "@id"},
        "url": {"@id": "schema:url", "@type": "@id"},
        "creator": "schema:creator", "dateModified": "schema:dateModified",
        "isBasedOn": "schema:isBasedOn", "creditText": "schema:creditText",
    }


def jsonld_dataset_node(dataset_url: str) -> dict:
    return {
        "@id": dataset_url, "@type": "schema:Dataset",
        "name": "Registre des organisations de l'ESS des communes du Cameroun (RELESS)",
        "description": "Organisations of the social and solidarity economy registered by "
                       "Cameroon's communes, without personal data.",
        "license": LICENCE_URL,
        "creator": {"@type": "schema:Organization",
                    "name": "Plateforme RELESS (MINPMEESA and the communes' CTD)"},
        "dateModified": timezone.now().date().isoformat(),
        "isBasedOn": {"@type": "schema:Dataset", "name": TERRITORY_SOURCE[0],
                      "url": TERRITORY_SOURCE[1]},
        "creditText": f"RELESS platform, {LICENCE_NAME}; territory: {TERRITORY_SOURCE[0]}",
    }


def jsonld_node(record: dict, base: str) -> dict:
    """One organisation as an ESSGlobal initiative (see the module's mapping)."""
    place = {"@type": "schema:AdministrativeArea", "identifier": record["commune_pcode"],
             "name": record["commune"]}
    node = {
        "@id": f"{base}#org-{record['id']}",
        "@type": ["essglobal:SSEInitiative", "schema:Organization"],
        "identifier": str(record["id"]), "name": record["name"],
        "legalForm": record["legal_form_label"], "economicSector": record["filiere_names"],
        "primaryFiliere": record["primary_filiere"], "status": record["status"],
        "totalOfMembers": record["members"], "totalWomen": record["women"],
        "membersUnder35": record["youth"],
        "hasAddress": {"@type": "essglobal:Address", "addressLocality": record["commune"],
                       "addressRegion": record["region"], "addressCountry": "CM",
                       "containedInPlace": place},
    }
    if record["acronym"]:
        node["alternateName"] = record["acronym"]
    if record["reless_member"]:
        node["memberOf"] = {"@id": f"{base}#reless-{record['commune_pcode']}",
                            "@type": ["essglobal:Network", "schema:Organization"],
                            "name": record["reless"]}
        node["relessMemberSince"] = record["reless_member_since"].isoformat()
    return node


def dataset_jsonld(*, dataset_url: str, vocab: str) -> Iterator[str]:
    """The dataset as one JSON-LD document, streamed: `@graph` holds the dataset's own
    description first, then every organisation."""
    yield '{"@context": ' + json.dumps(jsonld_context(vocab), ensure_ascii=False)
    yield ', "@graph": [' + json.dumps(jsonld_dataset_node(dataset_url), ensure_ascii=False)
    for record in dataset_records():
        yield ",\n" + json.dumps(jsonld_node(record, dataset_url), ensure_ascii=False)
    yield "]}\n"
