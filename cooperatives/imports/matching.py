"""Which existing organisation a row designates: by RSC number, when the names agree."""

from difflib import SequenceMatcher

from ..duplicates import GENERIC, fetch_rows, name_key, name_tokens, rsc_key
from ..models import Organisation


def organisations_by_rsc(keys: set[str]) -> dict[str, list[tuple[int, int]]]:
    """(id, commune id) of the organisations of every commune whose RSC number has one of
    these keys (`rsc_key`), by key. No index holds the keys, so every number is read and
    normalised here: normalising them in SQL instead (regexp_replace) takes PostgreSQL three
    times longer than sending them all."""
    found: dict[str, list[tuple[int, int]]] = {}
    if not keys:
        return found
    numbers = Organisation.objects.filter(rsc_number__isnull=False).values_list(
        "rsc_number", "pk", "commune_id")
    for number, pk, commune_id in fetch_rows(numbers):
        key = rsc_key(number)
        if key in keys:
            found.setdefault(key, []).append((pk, commune_id))
    return found


def names_agree(row_name: str, existing_name: str, existing_acronym: str = "") -> bool:
    """Whether a row's name may designate an existing organisation found by its RSC number:
    the same normalised name or acronym, half the distinctive words of the shorter name in
    common, or a difflib ratio of at least 0.6 between the names' distinctive words."""
    a, b = name_tokens(row_name), name_tokens(existing_name)
    if a == b or (existing_acronym and name_key(existing_acronym) == " ".join(a)):
        return True
    da, db = set(a) - GENERIC or set(a), set(b) - GENERIC or set(b)
    if da and db and len(da & db) * 2 >= min(len(da), len(db)):
        return True
    return SequenceMatcher(None, " ".join(sorted(da)), " ".join(sorted(db))).ratio() >= 0.6
