"""Possible duplicates in a commune's registry: flagged on every save and import, merged or
dismissed by a CTD agent, never merged automatically.

Two organisations of the same commune (neither dissolved, neither the union or the GIC of
origin of the other) are flagged when

- `name`: their names are the same once normalised (accents, case and punctuation dropped,
  stop words removed, abbreviations expanded, words sorted: "Coop. des producteurs de Manioc"
  and "COOPERATIVE PRODUCTEURS MANIOC" are equal), or the words that tell them apart (legal
  form words removed) have a difflib ratio of at least 0.9 ("Maniok" for "Manioc") and the
  same numbers ("GIC Espoir 2" is not "GIC Espoir 3");
- `rsc`: their RSC numbers are equal once case, spaces and punctuation are dropped;
- `phone`: their contact phones are the same number (digits only, +237 / 00237 dropped);
- `ues`: their UES register numbers are equal once punctuation is dropped ("UES-07-12" and
  "UES/07/12"). The NIU needs no such key: its one stored form is unique in the registry,
  so two organisations never share one (cooperatives.identifiers).

Organisations of different communes are never paired: the queue belongs to one commune and
its CTD agent decides. A pair is flagged once (one row, ids ordered); a dismissed or merged
pair is never flagged again.

The CTD agent's decisions (dismiss, merge) are in cooperatives.duplicate_decisions.
"""

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from difflib import SequenceMatcher

from django.core.exceptions import EmptyResultSet
from django.db import connections, models

from .models import (
    DuplicateFlag,
    Organisation,
    OrganisationStatus,
)

NAME_RATIO = 0.9
# Blocks of candidate names bigger than this are not compared by ratio (exact matches of the
# normalised name, RSC number and phone are always found, whatever the size of the commune).
MAX_BLOCK = 300
STOP_WORDS = frozenset({"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le",
                        "les", "pour", "sur", "and", "for", "of", "the"})
ABBREVIATIONS = {
    "coop": "cooperative", "coops": "cooperative", "cooperatives": "cooperative",
    "cooperativa": "cooperative", "coopec": "cooperative", "soc": "societe", "ste": "societe",
    "societes": "societe", "sa": "societe", "gics": "gic", "grpt": "groupement",
    "gpt": "groupement", "asso": "association", "assoc": "association",
    "associations": "association", "ass": "association", "fed": "federation",
    "unions": "union", "prod": "producteurs", "producteur": "producteurs",
    "cie": "compagnie", "ets": "etablissements",
}
PHRASES = (  # (pattern, replacement, a word the pattern needs: the search costs less)
    (re.compile(r"\bgroupe(?:ment)? d? ?initiative commune\b"), "gic", "initiative"),
    (re.compile(r"\bcommon initiative group\b"), "gic", "initiative"),
    (re.compile(r"\bsociete cooperative simplifiee\b"), "scoops", "simplifiee"),
    (re.compile(r"\bsociete cooperative avec conseil d? ?administration\b"), "coopca",
     "conseil"),
    (re.compile(r"\bcoop ca\b"), "coopca", "coop ca"),
)
# Words that say what kind of organisation it is, not which one.
GENERIC = frozenset({"cooperative", "societe", "scoops", "coopca", "gic", "union",
                     "federation", "association", "groupement", "groupe", "simplifiee"})
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_INITIALS = re.compile(r"\b(?:[a-z] )+[a-z]\b")
_NON_DIGIT = re.compile(r"\D")


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


@functools.lru_cache(maxsize=1 << 17)  # an import normalises each name twice: check, flag
def name_parts(name: str) -> tuple[tuple[str, ...], str, str, tuple[str, ...]]:
    """A name's normalised words (sorted, without repeats), its key (the words joined), its
    distinctive key and its words with digits."""
    text = _NON_WORD.sub(" ", strip_accents(name or "").casefold()).strip()
    words = text.split()
    if 1 in map(len, words):  # initials need single letters (the regex costs more)
        text = _INITIALS.sub(lambda m: m.group(0).replace(" ", ""), text)  # G.I.C. -> gic
        words = text.split()
    replaced = False
    for pattern, replacement, needed in PHRASES:
        if needed in text:
            text, replaced = pattern.sub(replacement, text), True
    if replaced:
        words = text.split()
    kept = set(map(ABBREVIATIONS.get, words, words))
    kept -= STOP_WORDS
    tokens = tuple(sorted(kept))
    return tokens, " ".join(tokens), distinctive_key(tokens), _numbers(tokens)


def name_tokens(name: str) -> tuple[str, ...]:
    """The normalised words of a name, sorted and without repeats."""
    return name_parts(name)[0]


def name_key(name: str) -> str:
    """The normalised name: equal keys mean the same words (in any order, any spelling of
    accents, case, punctuation and the common abbreviations)."""
    return name_parts(name)[1]


def distinctive_key(tokens: tuple[str, ...]) -> str:
    """The words that tell one organisation from another (legal form words left out)."""
    kept = [t for t in tokens if t not in GENERIC]
    return " ".join(kept or tokens)


def rsc_key(rsc_number: str | None) -> str:
    return _NON_WORD.sub("", strip_accents(rsc_number or "").casefold())


def phone_key(phone: str | None) -> str:
    """Digits of a phone number without the country code (237); '' when too short to be
    a number."""
    digits = _NON_DIGIT.sub("", phone or "")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("237") and len(digits) >= 11:
        digits = digits[3:]
    return digits if len(digits) >= 8 else ""


def similar_names(a: str, b: str) -> bool:
    """Whether two names are close enough to flag (see the module docstring)."""
    ta, _ka, da, na = name_parts(a)
    tb, _kb, db, nb = name_parts(b)
    if not ta or ta == tb:
        return bool(ta)
    return na == nb and _close(da, db)


def _numbers(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words with digits: "GIC Espoir 2" is not "GIC Espoir 3", however close."""
    return tuple([t for t in tokens if not t.isalpha()])


def _close(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < NAME_RATIO:  # ratio's upper bound
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= NAME_RATIO and matcher.ratio() >= NAME_RATIO


# Finding pairs --------------------------------------------------------------------------------

class _Entry:
    __slots__ = ("pk", "tokens", "key", "distinct", "numbers", "rsc", "phone", "related", "ues")

    def __init__(self, pk, name, rsc_number, phone, parent_id, gic_id, ues_number=""):
        self.pk = pk
        self.tokens, self.key, self.distinct, self.numbers = name_parts(name)
        self.rsc = rsc_key(rsc_number) if rsc_number else ""
        self.ues = rsc_key(ues_number) if ues_number else ""
        self.phone = phone_key(phone) if phone else ""
        self.related = (parent_id, gic_id)


def find_pairs(rows: Iterable[tuple], focus: set[int] | None = None) -> dict[tuple, set]:
    """Possible duplicate pairs among organisations of one commune.

    `rows`: (id, name, rsc_number, contact_phone, parent_union_id, converted_from_gic_id[,
    ues_number]).
    `focus`: only pairs with at least one of these ids (None: every pair).
    Returns {(smaller id, larger id): {reason, ...}}."""
    entries = [_Entry(*row) for row in rows]
    pairs: dict[tuple, set] = defaultdict(set)
    groups = {reason: defaultdict(list) for reason in ("name", "rsc", "phone", "ues")}
    for entry in entries:
        if entry.key:
            groups["name"][entry.key].append(entry)
        if entry.rsc:
            groups["rsc"][entry.rsc].append(entry)
        if entry.phone:
            groups["phone"][entry.phone].append(entry)
        if entry.ues:
            groups["ues"][entry.ues].append(entry)
    for reason, by_value in groups.items():
        for group in by_value.values():
            if len(group) > 1:
                _pair_all(group, focus, reason, pairs)
    _pair_close_names(entries, focus, pairs)
    return dict(pairs)


def _pair_all(group, focus, reason, pairs) -> None:
    if len(group) < 2:
        return
    for i, a in enumerate(group):
        for b in group[i + 1:]:
            _add(a, b, focus, reason, pairs)


def _add(a: _Entry, b: _Entry, focus, reason: str, pairs) -> None:
    if a.pk == b.pk or (focus is not None and a.pk not in focus and b.pk not in focus):
        return
    if a.pk in b.related or b.pk in a.related:  # a union and its member, a GIC and its heir
        return
    pairs[(min(a.pk, b.pk), max(a.pk, b.pk))].add(reason)


def _pair_close_names(entries: list[_Entry], focus, pairs) -> None:
    """Names whose distinctive words have a ratio >= 0.9 (and the same numbers), compared
    within small blocks: names with numbers by their numbers, others by the first and last
    three letters of their two rarest distinctive words (so a typo in one word still meets
    its match through the other)."""
    blocks = defaultdict(list)
    words = []
    for entry in entries:
        if entry.numbers:
            blocks["#" + " ".join(entry.numbers)].append(entry)
        else:
            words.append(entry)
    frequency = Counter(word for entry in words for word in set(entry.distinct.split()))
    for entry in words:
        for key in _blocking_keys(entry, frequency):
            blocks[key].append(entry)
    seen = set()
    for block in blocks.values():
        if len(block) < 2 or len(block) > MAX_BLOCK:
            continue
        if focus is not None and not any(entry.pk in focus for entry in block):
            continue
        for i, a in enumerate(block):
            for b in block[i + 1:]:
                pair = (a.pk, b.pk) if a.pk < b.pk else (b.pk, a.pk)
                if pair in seen:
                    continue
                seen.add(pair)
                if a.key != b.key and _close(a.distinct, b.distinct):
                    _add(a, b, focus, "name", pairs)


def _blocking_keys(entry: _Entry, frequency: Counter) -> set[str]:
    words = sorted(set(entry.distinct.split()), key=lambda w: (frequency[w], w))[:2]
    return {key for word in words for key in ("<" + word[:3], ">" + word[-3:])}


# Flagging ---------------------------------------------------------------------------------------

def fetch_rows(queryset: models.QuerySet) -> list[tuple]:
    """The rows of a `values_list()` of whole numbers and texts, in one fetch: Django reads
    100 rows at a time and runs converters, which cost more than the query on a commune's
    or the registry's tens of thousands of rows. (Dates, decimals and booleans need those
    converters on SQLite: not for them.)"""
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _commune_rows(commune_id: int) -> list[tuple]:
    return fetch_rows(Organisation.objects.filter(commune_id=commune_id)
                      .exclude(status=OrganisationStatus.DISSOLVED)
                      .values_list("id", "name", "rsc_number", "contact_phone",
                                   "parent_union_id", "converted_from_gic_id", "ues_number"))


def flag_duplicates(commune_id: int, organisation_ids: Iterable[int] | None = None) -> int:
    """Flag the possible duplicates of the given organisations (None: of every organisation)
    in their commune. Pairs already flagged keep their row: an open flag gains new reasons,
    a dismissed or merged one is left alone. Returns the number of new flags."""
    focus = None if organisation_ids is None else set(organisation_ids)
    if focus is not None and not focus:
        return 0
    pairs = find_pairs(_commune_rows(commune_id), focus)
    if not pairs:
        return 0
    involved = {pk for pair in pairs for pk in pair}
    existing = {(f.org_a_id, f.org_b_id): f for f in DuplicateFlag.objects.filter(
        org_a_id__in=involved, org_b_id__in=involved)}
    new = [DuplicateFlag(org_a_id=a, org_b_id=b, reasons=sorted(reasons))
           for (a, b), reasons in pairs.items() if (a, b) not in existing]
    DuplicateFlag.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    for pair, flag in existing.items():
        reasons = sorted(set(flag.reasons) | pairs.get(pair, set()))
        if flag.status == DuplicateFlag.Status.OPEN and pair in pairs and reasons != flag.reasons:
            flag.reasons = reasons
            flag.save(update_fields=["reasons"])
    return len(new)


def duplicates_flag_for(organisation: Organisation) -> int:
    """After one organisation is saved: flag its possible duplicates (the services' hook)."""
    if organisation.status == OrganisationStatus.DISSOLVED:
        return 0
    return flag_duplicates(organisation.commune_id, [organisation.pk])
