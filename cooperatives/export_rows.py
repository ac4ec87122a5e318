"""Rows of the large exports (registry lists, open data) read as plain values, never as model
instances: one `.values()` query for the organisations (streamed in chunks), one query per
chunk for their filières (the link table joined to the filières, merged by organisation id),
and the territory read once as a small dictionary.

Before (issue 20): each row built about 6.5 model instances (`select_related` commune,
department, region, primary filière, then the prefetched filières): 119 µs per row for the
open-data CSV, against the few µs of the SQL itself. Here a row is a dict from the database
driver and a few dictionary look-ups."""

from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.utils.translation import get_language

from communes.models import Commune
from core.ids import id_list

from .models import OrganisationFiliere, OrganisationLabel

CHUNK = 2000


def territory() -> dict[int, dict]:
    """Every commune by id: its P-code and names, its department's and region's P-codes and
    the region's French name (one query, ≤ 400 rows)."""
    return {row["id"]: row for row in Commune.objects.values(
        "id", "pcode", "name_fr", "name_en", "department__pcode",
        "department__region__pcode", "department__region__name_fr")}


def commune_name(commune: dict) -> str:
    """`Commune.name` from a `territory()` row: English when asked and known, else French."""
    if get_language() == "en" and commune["name_en"]:
        return commune["name_en"]
    return commune["name_fr"]


def chunks(queryset, fields: Iterable[str], size: int = CHUNK) -> Iterator[list[dict]]:
    """The queryset's rows as dicts of `fields` (and "id"), `size` at a time, in its order."""
    batch: list[dict] = []
    for row in queryset.values("id", *fields).iterator(chunk_size=size):
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def filieres_of(organisation_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The filières of these organisations as (code, French name), ordered by code; one
    query on the link table joined to the filières."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for organisation_id, code, name in (OrganisationFiliere.objects
                                        .filter(organisation_id__in=id_list(organisation_ids))
                                        .values_list("organisation_id", "filiere__code",
                                                     "filiere__name_fr")):
        found[organisation_id].append((code, name))
    for pairs in found.values():
        pairs.sort()
    return found


def with_filieres(queryset, fields: Iterable[str], size: int = CHUNK
                  ) -> Iterator[tuple[dict, list[tuple[str, str]]]]:
    """Each row with its filières as (code, French name), ordered by code."""
    for batch in chunks(queryset, fields, size):
        links = filieres_of([row["id"] for row in batch])
        for row in batch:
            yield row, links.get(row["id"], [])


def labels_of(organisation_ids: list[int]) -> dict[int, str]:
    """The labels of these organisations in one cell each: "kind: certifier number" joined
    with " | ", in the order of the organisation's page; one query."""
    kinds = dict(OrganisationLabel._meta.get_field("kind").flatchoices)
    found: dict[int, list[str]] = defaultdict(list)
    for organisation_id, kind, name, certifier, number in (
            OrganisationLabel.objects.filter(organisation_id__in=id_list(organisation_ids))
            .order_by("kind", "id")
            .values_list("organisation_id", "kind", "name", "certifier", "number")):
        words = " ".join(w for w in (name, certifier, number) if w)
        found[organisation_id].append(f"{kinds.get(kind, kind)}: {words}")
    return {pk: " | ".join(texts) for pk, texts in found.items()}


def with_filieres_and_labels(queryset, fields: Iterable[str], size: int = CHUNK
                             ) -> Iterator[tuple[dict, list[tuple[str, str]], str]]:
    """Each row with its filières (as `with_filieres`) and its labels' cell (`labels_of`)."""
    for batch in chunks(queryset, fields, size):
        ids = [row["id"] for row in batch]
        links, labels = filieres_of(ids), labels_of(ids)
        for row in batch:
            yield row, links.get(row["id"], []), labels.get(row["id"], "")
