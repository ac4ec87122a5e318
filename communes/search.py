"""Find a commune by its name, whatever the accents, the case, the hyphens or the spaces:
"Ngaoundéré", "ngaoundere" and "Ngaoundere 1er" all find Ngaoundéré 1er.

The 360 communes fit in memory: `commune_index()` reads them in one query and normalises
their names in Python (the same code on SQLite and PostgreSQL, no database extension);
callers may cache the index and pass it in (cooperatives.selectors_public does)."""

import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Commune


class CommuneMatch(NamedTuple):
    """A commune as the search shows it, names in both languages."""

    pcode: str
    name_fr: str
    name_en: str
    department_fr: str
    department_en: str
    region_fr: str
    region_en: str
    keys: tuple[str, ...]  # compact forms of its names and its P-code (see `compact`)
    words: tuple[str, ...]  # the words of its names, normalised

    @property
    def name(self) -> str:
        return _in_language(self.name_fr, self.name_en)

    @property
    def department(self) -> str:
        return _in_language(self.department_fr, self.department_en)

    @property
    def region(self) -> str:
        return _in_language(self.region_fr, self.region_en)


CommuneIndex = tuple[CommuneMatch, ...]


def _in_language(french: str, english: str) -> str:
    return english if get_language() == "en" and english else french


def normalise(text: str) -> str:
    """Lower case, no accents, every run of non-alphanumeric characters (hyphens,
    apostrophes, spaces) as one space: "Ngaoundéré-1er " -> "ngaoundere 1er"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text or "")
                    if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def compact(text: str) -> str:
    """`normalise` without spaces: "Galim-Tignère" and "galim tignere" both "galimtignere"."""
    return normalise(text).replace(" ", "")


def commune_index() -> CommuneIndex:
    """Every commune with its normalised names, by French name. One query."""
    rows = Commune.objects.order_by("name_fr", "pcode").values_list(
        "pcode", "name_fr", "name_en", "department__name_fr", "department__name_en",
        "department__region__name_fr", "department__region__name_en")
    index = []
    for pcode, name_fr, name_en, *places in rows:
        names = [n for n in (name_fr, name_en) if n]
        index.append(CommuneMatch(
            pcode, name_fr, name_en, *places,
            keys=tuple(dict.fromkeys([*(compact(n) for n in names), pcode.casefold()])),
            words=tuple(dict.fromkeys(w for n in names for w in normalise(n).split()))))
    return tuple(index)


def search_communes(text: str, limit: int = 20, *,
                    index: CommuneIndex | None = None) -> list[CommuneMatch]:
    """Communes whose name (French or English) or P-code matches `text`, best first: the
    exact name, then names starting with it, then names with a word starting with it, then
    names containing it; ties by French name. Empty text finds nothing."""
    wanted = compact(text)
    if not wanted:
        return []
    first_word = normalise(text).split()[0]
    ranked = []
    for entry in index if index is not None else commune_index():
        rank = _rank(entry, wanted, first_word)
        if rank is not None:
            ranked.append((rank, entry.name_fr.casefold(), entry.pcode, entry))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked[:limit]]


def _rank(entry: CommuneMatch, wanted: str, first_word: str) -> int | None:
    if wanted in entry.keys:
        return 0
    if any(key.startswith(wanted) for key in entry.keys):
        return 1
    if any(word.startswith(first_word) for word in entry.words) and any(
            wanted in key for key in entry.keys):
        return 2
    if any(wanted in key for key in entry.keys):
        return 3
    return None


@dataclass
class CommunePick:
    """What a name typed in a commune field resolves to: one commune (`chosen`), several to
    pick from (`choices`), or none (`error`, in the active language)."""

    text: str
    chosen: CommuneMatch | None = None
    choices: list[CommuneMatch] | None = None
    error: str = ""


def pick_commune(text: str, *, index: CommuneIndex | None = None,
                 limit: int = 20) -> CommunePick:
    """Resolve a commune field: one match, or one exact name (or P-code) among several,
    is chosen; several are offered; none is an error."""
    matches = search_communes(text, limit, index=index)
    wanted = compact(text)
    exact = [m for m in matches if wanted in m.keys]
    if len(matches) == 1 or len(exact) == 1:
        return CommunePick(text, chosen=(exact or matches)[0])
    if matches:
        return CommunePick(text, choices=matches)
    if not wanted:
        return CommunePick(text, error=_("Type the name of a commune."))
    return CommunePick(text, error=_("No commune is named “%(text)s”.") % {"text": text.strip()})
