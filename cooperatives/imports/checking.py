"""Import of organisations into a commune's registry from CSV or XLSX (or rows of dicts).

Columns: the template's French headers (nom, sigle, forme_juridique, numero_rsc, date_rsc,
commune, localite, filiere_principale, autres_filieres, statut, membres, femmes, jeunes,
employes, capital_social, membre_reless_depuis, contact_nom, contact_telephone,
contact_email) or their English names; case, accents, spaces and underscores do not matter.
Only `nom` is required as a column. The commune is a P-code or a name (empty: the import's
commune); filières, legal forms and statuses are codes or labels in French or English; dates
are YYYY-MM-DD or DD/MM/YYYY; numbers may carry thousands separators.

Matching, per row:

- a row whose RSC number (compared without case, spaces or punctuation) belongs to one
  organisation of the commune UPDATES it, when the names agree (see `names_agree`); its empty
  cells leave the current values unchanged;
- a row is REFUSED as ambiguous when its RSC number belongs to several organisations, or to
  one whose name differs strongly; when it has no RSC number and an organisation of the
  commune already has the same name (normalised as for duplicates); or when it has a new RSC
  number and an organisation of the commune with the same name has none (attach the number
  to that organisation by hand, or give the row another name);
- a row is REFUSED as outside the uploader's commune when its commune is another one or its
  RSC number belongs to an organisation of another commune;
- any other row CREATES an organisation (legal form and primary filière are then required).

The model's rules are checked in Python, row by row, against preloaded dictionaries (no
query per row): lengths, women and under-35 members <= members, a SCOOPS >= 5 members, a
COOP-CA >= 15, unique RSC numbers (within the file too), valid email. Every bad row is
reported (line as a spreadsheet numbers it, the header being line 1; column as written in
the file; reason in the user's language). An import is all or nothing: with one bad row
nothing is written. The writes, in one transaction, are bulk inserts (COPY on PostgreSQL,
executemany on SQLite) and `UPDATE … FROM (VALUES …)` of the changed columns, each row with
the history row simple_history would write (the uploader as author, reason "import") and,
as `organisation_create` does, a registration event for each new organisation with an RSC
number; then the possible duplicates of the rows written are flagged and
`organisations_bulk_changed` is sent (bulk rows send no `post_save`).
"""

import contextlib
import datetime
import functools
import gc
import io
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import connection, models, transaction
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communes.models import Commune
from core import csvsafe
from sectors.models import Filiere

from . import spreadsheets
from .duplicates import (
    GENERIC,
    fetch_rows,
    flag_duplicates,
    name_key,
    name_tokens,
    rsc_key,
    strip_accents,
)
from .models import (
    LEGAL_MINIMUM_MEMBERS,
    ImportJob,
    LegalForm,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    RegistryEvent,
)
from .permissions import can_write_commune, scope_of
from .rules import PHONE_MESSAGE, normalise_phone
from .spreadsheets import UnreadableFile, cell_text

# Sent inside the import's transaction once organisations were written in bulk (no post_save
# for those rows): upper apps listen to refresh what depends on the communes' registries.
organisations_bulk_changed = Signal()  # kwargs: commune_ids

MAX_ROWS = 100_000
MAX_BYTES = 25 * 1024 * 1024
TEXT_EXTENSIONS = (".csv", ".txt")
PROGRESS_EVERY = 2_000
BATCH = 1_000
UPDATE_BATCH = 200  # bulk_update's CASE grows with the batch: small batches stay linear
MAX_INT = 2_147_483_647
MAX_BIGINT = 9_223_372_036_854_775_807
CHANGE_REASON = "import"

# field -> (the template's French header, other accepted headers); normalised like `_norm`.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("nom", ("name", "nom de l organisation", "raison sociale", "denomination")),
    "acronym": ("sigle", ("acronym", "abbreviation")),
    "legal_form": ("forme_juridique", ("legal form", "forme")),
    "rsc_number": ("numero_rsc", ("rsc", "n rsc", "no rsc", "rsc number", "rsc no")),
    "rsc_date": ("date_rsc", ("rsc date", "date d immatriculation", "registration date")),
    "commune": ("commune", ("pcode", "commune pcode", "code commune", "municipality")),
    "locality": ("localite", ("locality", "village", "quartier")),
    "primary_filiere": ("filiere_principale", ("filiere", "primary filiere",
                                               "main filiere", "primary value chain",
                                               "value chain")),
    "other_filieres": ("autres_filieres", ("other filieres", "filieres", "other value chains",
                                           "value chains")),
    "status": ("statut", ("status", "etat")),
    "members_total": ("membres", ("members", "nombre de membres", "members total")),
    "members_women": ("femmes", ("women", "women members", "membres femmes")),
    "members_youth": ("jeunes", ("youth", "members under 35", "under 35",
                                 "moins de 35 ans")),
    "employees": ("employes", ("employees", "salaries", "staff")),
    "share_capital": ("capital_social", ("share capital", "capital")),
    "reless_member_since": ("membre_reless_depuis", ("reless member since",
                                                     "membre du reless depuis")),
    "contact_name": ("contact_nom", ("contact name", "contact", "personne de contact")),
    "contact_phone": ("contact_telephone", ("contact phone", "telephone", "phone", "tel")),
    "contact_email": ("contact_email", ("contact email", "email", "e mail", "courriel")),
}
TEMPLATE_HEADERS = [french for french, _others in COLUMNS.values()]
REQUIRED_COLUMNS = ("name",)
TEXT_LIMITS = {"name": 200, "acronym": 40, "rsc_number": 60, "locality": 120,
               "contact_name": 120, "contact_phone": 40, "contact_email": 254}
COUNT_FIELDS = ("members_total", "members_women", "members_youth", "employees")
# Plain digits shorter than this are a valid count as they are (below the column's maximum).
COUNT_DIGITS = {**dict.fromkeys(COUNT_FIELDS, 10), "share_capital": 19}
# Fields whose valid cells repeat (codes, labels, dates): parsed once per distinct text.
MEMO_FIELDS = frozenset({"legal_form", "status", "commune", "primary_filiere", "other_filieres",
                         "rsc_date", "reless_member_since"})
_UNSEEN = object()
DATE_FIELDS = ("rsc_date", "reless_member_since")
# The organisation's fields an import sets (the commune and filières are set apart).
MODEL_FIELDS = ("name", "acronym", "legal_form", "rsc_number", "rsc_date", "locality",
                "primary_filiere_id", "status", "members_total", "members_women",
                "members_youth", "employees", "share_capital", "reless_member_since",
                "contact_name", "contact_phone", "contact_email")
MODEL_KEYS = frozenset(MODEL_FIELDS) - {"primary_filiere_id"}
DEFAULTS = {"acronym": "", "rsc_number": None, "rsc_date": None, "locality": "",
            "status": OrganisationStatus.ACTIVE, "members_total": 0, "members_women": 0,
            "members_youth": 0, "employees": 0, "share_capital": 0,
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
STATUS_WORDS = {
    OrganisationStatus.IN_CREATION: ("in creation", "en creation", "en cours de creation"),
    OrganisationStatus.ACTIVE: ("active", "actif", "en activite"),
    OrganisationStatus.DORMANT: ("dormant", "dormante", "en sommeil", "inactive", "inactif"),
    OrganisationStatus.DISSOLVED: ("dissolved", "dissoute", "dissous"),
}
_SEPARATORS = re.compile(r"[\s_\-./'’()]+")
_LIST = re.compile(r"\s*[;|,]\s*")
_GROUPED = re.compile(r"\d{1,3}(?:[ .,'\u00a0\u202f]\d{3})+")


class _EmailValidator(EmailValidator):
    """Django's email rules with its regular expressions compiled once (the lazy ones cost
    more than the matching on thousands of rows)."""

    user_regex = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
    domain_regex = re.compile(EmailValidator.domain_regex.pattern,
                              EmailValidator.domain_regex.flags)
    literal_regex = re.compile(EmailValidator.literal_regex.pattern,
                               EmailValidator.literal_regex.flags)


_email = _EmailValidator()


@functools.lru_cache(maxsize=8192)
def _norm(text) -> str:
    """Lower case, no accents, one space between words: 'Forme_Juridique' -> 'forme juridique'."""
    return _SEPARATORS.sub(" ", strip_accents(str(text).replace("\ufeff", "")).casefold()).strip()


HEADER_ALIASES = {_norm(alias): name for name, (french, others) in COLUMNS.items()
                  for alias in (french, *others, name)}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ImportResult:
    """What an import did (or, on a dry run, would do) with each row of the file."""

    dry_run: bool
    rows: int = 0
    created: list[tuple[int, str]] = field(default_factory=list)  # (line, name)
    updated: list[tuple[int, int, str]] = field(default_factory=list)  # (line, id, name)
    unchanged: list[tuple[int, int, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    duplicates_flagged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def refused_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors if e.line > 1})

    def to_json(self) -> dict:
        return {
            "rows": self.rows, "dry_run": self.dry_run, "written": self.written,
            "created": [list(r) for r in self.created],
            "updated": [list(r) for r in self.updated],
            "unchanged": [list(r) for r in self.unchanged],
            "errors": [[e.line, e.column, e.message] for e in self.errors],
            "refused_lines": self.refused_lines,
            "ignored_columns": self.ignored_columns,
            "duplicates_flagged": self.duplicates_flagged,
        }


# Reading ----------------------------------------------------------------------------------------

def upload_limits() -> spreadsheets.Limits:
    """What an organisation file may hold (settings SPREADSHEET_*, this import's rows)."""
    return spreadsheets.Limits.from_settings(max_rows=MAX_ROWS, max_bytes=MAX_BYTES)


def read_table(content: bytes, filename: str, *, isolated: bool = False) -> list[list[str]]:
    """The file's rows as lists of stripped strings (XLSX: its first sheet); `isolated`:
    read in a child process under the memory limit (a worker's job)."""
    read = spreadsheets.read_table_in_child if isolated else spreadsheets.read_table
    return read(content, filename, text_extensions=TEXT_EXTENSIONS, limits=upload_limits())


def _table_from_dicts(rows: Iterable[dict]) -> list[list[str]]:
    header: list[str] = []
    records = []
    for row in rows:
        if not header:
            header = [str(k) for k in row]
        records.append([cell_text(row.get(k)) for k in header])
    return [header, *records] if header else []


def _as_table(rows, filename: str | None, isolated: bool) -> list[list[str]]:
    if isinstance(rows, bytes | bytearray):
        return read_table(bytes(rows), filename or "", isolated=isolated)
    if hasattr(rows, "read"):
        return read_table(rows.read(), filename or getattr(rows, "name", "") or "",
                          isolated=isolated)
    return _table_from_dicts(rows)


# Reference lookups ----------------------------------------------------------------------------

def _choice_lookup(words: dict, choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices.choices:
        lookup[_norm(value)] = value
        for language in ("fr", "en"):
            with translation.override(language):
                text = str(label)
            lookup[_norm(text)] = value
            lookup[_norm(text.split("(")[0])] = value
    for value, aliases in words.items():
        lookup.update({_norm(alias): value for alias in aliases})
    return lookup


def _filiere_lookup() -> dict[str, int]:
    """Filières by normalised code, French and English name (codes win over names)."""
    rows = list(Filiere.objects.values_list("pk", "code", "name_fr", "name_en"))
    lookup = {}
    for pk, _code, name_fr, name_en in rows:
        lookup[_norm(name_fr)] = pk
        if name_en:
            lookup[_norm(name_en)] = pk
    lookup.update({_norm(code): pk for pk, code, _fr, _en in rows})
    return lookup


def _commune_lookup() -> dict[str, set[int]]:
    """Communes by normalised P-code and names; a name may belong to several communes."""
    lookup: dict[str, set[int]] = defaultdict(set)
    for pk, pcode, name_fr, name_en in Commune.objects.values_list(
            "pk", "pcode", "name_fr", "name_en"):
        for key in (pcode, name_fr, name_en):
            if key:
                lookup[_norm(key)].add(pk)
    return lookup


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


def _constraint_message(name: str) -> str:
    for constraint in Organisation._meta.constraints:
        if constraint.name == name:
            return str(constraint.violation_error_message)
    raise LookupError(name)


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


# Checking ---------------------------------------------------------------------------------------

class _Row:
    """One checked row: its values (by column field) and under the model's attnames, the
    organisation it updates (None: a creation) and the filières it sets."""

    __slots__ = ("line", "values", "model", "target", "filieres", "unmatched")

    def __init__(self, line: int, values: dict, model: dict):
        self.line = line
        self.values = values
        self.model = model
        self.target: int | None = None
        self.filieres: set[int] | None = None  # the whole wanted set, when the row sets it
        self.unmatched = False  # refused by the matching: neither a creation nor an update


@dataclass
class _Plan:
    creates: list[_Row] = field(default_factory=list)
    updates: list[_Row] = field(default_factory=list)


class _Checker:
    """Checks every row against preloaded data: a fixed handful of queries per import."""

    def __init__(self, commune: Commune, columns: dict[str, tuple[int, str]],
                 result: ImportResult):
        self.commune = commune
        self.columns = columns
        self.result = result
        self.legal_forms = _choice_lookup(LEGAL_FORM_WORDS, LegalForm)
        self.statuses = _choice_lookup(STATUS_WORDS, OrganisationStatus)
        self.filieres = _filiere_lookup()
        self.communes = _commune_lookup()
        self._load_registry()
        self.fields = [self._field(name, position) for name, (position, _title) in
                       columns.items()]
        self.name_at, self.legal_form_at, self.primary_filiere_at = (
            columns.get(name, (None,))[0] for name in ("name", "legal_form", "primary_filiere"))
        self.seen_rsc: dict[str, int] = {}
        self.rsc_keys: dict[str, str] = {}  # the file's numbers: their keys
        self.seen_names: dict[str, tuple[int, bool]] = {}
        self.messages = {
            "women": _constraint_message("org_women_le_total"),
            "youth": _constraint_message("org_youth_le_total"),
            LegalForm.SCOOPS: _constraint_message("org_scoops_min_members"),
            LegalForm.COOP_CA: _constraint_message("org_coop_ca_min_members"),
            "rsc": _constraint_message("org_rsc_number_unique"),
        }

    def _load_registry(self) -> None:
        self.by_rsc: dict[str, list[tuple[int, int]]] = {}  # the file's numbers: check_all
        self.local: dict[int, dict] = {}
        self.local_names: dict[str, list[int]] = defaultdict(list)
        for values in Organisation.objects.filter(commune=self.commune).values(
                "pk", *MODEL_FIELDS):
            self.local[values["pk"]] = values
            self.local_names[name_key(values["name"])].append(values["pk"])
        self.local_filieres: dict[int, set[int]] = defaultdict(set)
        for org_id, filiere_id in OrganisationFiliere.objects.filter(
                organisation__commune=self.commune).values_list("organisation_id", "filiere_id"):
            self.local_filieres[org_id].add(filiere_id)

    def _file_rsc_keys(self, records: list[list[str]]) -> set[str]:
        """The keys of the RSC numbers the file holds: all the registry is asked about."""
        if "rsc_number" not in self.columns:
            return set()
        at = self.columns["rsc_number"][0]
        keys = {self.number_key(cells[at]) for cells in records if len(cells) > at and cells[at]}
        keys.discard("")
        return keys

    def number_key(self, text: str) -> str:
        """`rsc_key(text)`, computed once per number of the file."""
        key = self.rsc_keys.get(text)
        if key is None:
            key = self.rsc_keys[text] = rsc_key(text)
        return key

    # helpers

    def error(self, line: int, name: str, message) -> None:
        title = self.columns.get(name, (None, COLUMNS[name][0]))[1]
        self.result.errors.append(RowError(line, title, str(message)))

    def check_all(self, records: list[list[str]], plan: _Plan,
                  progress: Callable[[int, int], None] | None) -> None:
        self.by_rsc = organisations_by_rsc(self._file_rsc_keys(records))
        total = len(records)
        for number, cells in enumerate(records):
            if any(cells):
                self.check(number + 2, cells, plan)
                self.result.rows += 1
            if progress and (number + 1) % PROGRESS_EVERY == 0:
                progress(number + 1, total)
        if progress:
            progress(total, total)

    def check(self, line: int, cells: list[str], plan: _Plan) -> None:
        errors = self.result.errors
        before = len(errors)
        row = self.parse(line, cells)
        parsed = len(errors)
        self.match(row)
        row.unmatched = len(errors) > parsed and row.target is None
        self.check_rules(row, cells)
        if len(errors) > before:
            return
        if row.target is None:
            plan.creates.append(row)
            self.result.created.append((line, row.values["name"]))
        elif self.changes(row):
            plan.updates.append(row)
            self.result.updated.append((line, row.target, row.values["name"]))
        else:
            self.result.unchanged.append((line, row.target, row.values["name"]))

    # parsing

    @classmethod
    def _field(cls, name: str, position: int) -> tuple:
        """How `parse` reads a column: (field, position, memo of its cells or None, digits
        below which a plain number is valid (0: not a count), parser (a function of the
        class: bound methods would tie the checker in a cycle that only the paused collector
        frees) or None, length limit, the model's attribute name or None)."""
        attname = ("primary_filiere_id" if name == "primary_filiere" else
                   name if name in MODEL_KEYS else None)
        return (name, position, {} if name in MEMO_FIELDS else None,
                COUNT_DIGITS.get(name, 0), getattr(cls, f"_parse_{name}", None),
                TEXT_LIMITS.get(name, 0), attname)

    def parse(self, line: int, cells: list[str]) -> _Row:
        """The row's values by field and by the model's attribute names. Cells seen before in
        a valid form (a legal form, a filière, a date…) come from a memo and plain numbers and
        texts are taken as they are; anything else goes through its field's parser, which
        names the errors."""
        values: dict = {}
        model: dict = {}
        width = len(cells)
        for name, at, memo, digits, parser, limit, attname in self.fields:
            if at >= width or not (text := cells[at]):
                continue
            value = _UNSEEN if memo is None else memo.get(text, _UNSEEN)
            if value is not _UNSEEN:
                if value is None:
                    continue
            elif digits and text.isdigit() and len(text) < digits:
                value = int(text)
            elif parser is None and len(text) <= limit:  # plain text that fits
                value = text
            else:
                value = self._parse_cell(line, name, text, parser, memo)
                if value is None:
                    continue
            values[name] = value
            if attname:
                model[attname] = value
        if "name" not in values and not self._given(cells, self.name_at):
            self.error(line, "name", _("Give the organisation's name."))
        return _Row(line, values, model)

    def _parse_cell(self, line: int, name: str, text: str, parser, memo: dict | None):
        errors = len(self.result.errors)
        value = parser(self, line, text) if parser else self._parse_text(line, name, text)
        if memo is not None and len(self.result.errors) == errors:
            memo[text] = value
        return value

    @staticmethod
    def _given(cells: list[str], at: int | None) -> bool:
        return at is not None and at < len(cells) and bool(cells[at])

    def _parse_text(self, line: int, name: str, text: str):
        if len(text) > TEXT_LIMITS[name]:
            self.error(line, name, _("At most %(max)s characters (this one has %(n)s).")
                       % {"max": TEXT_LIMITS[name], "n": len(text)})
            return None
        if name == "contact_email":
            try:
                _email(text)
            except ValidationError:
                self.error(line, name, _("Enter a valid email address."))
                return None
        return text

    def _parse_legal_form(self, line: int, text: str):
        value = self.legal_forms.get(_norm(text))
        if value is None:
            self.error(line, "legal_form", _(
                "Unknown legal form “%(value)s”: use SCOOPS, COOP-CA, union, fédération, GIC, "
                "association or autre.") % {"value": text})
        return value

    def _parse_status(self, line: int, text: str):
        value = self.statuses.get(_norm(text))
        if value is None:
            self.error(line, "status", _(
                "Unknown status “%(value)s”: use en création, active, en sommeil or dissoute.")
                % {"value": text})
        return value

    def _parse_commune(self, line: int, text: str):
        found = self.communes.get(_norm(text))
        if not found:
            self.error(line, "commune", _("Unknown commune “%(value)s”: give its P-code or its "
                                          "name.") % {"value": text})
        elif self.commune.pk not in found:
            self.error(line, "commune", _(
                "This row belongs to another commune than %(commune)s: an import only "
                "registers organisations of its own commune.") % {"commune": self.commune.name})
        return None  # the commune is always the import's

    def _filiere(self, line: int, name: str, text: str) -> int | None:
        pk = self.filieres.get(_norm(text))
        if pk is None:
            self.error(line, name, _("Unknown filière “%(value)s”: use a code or a name from "
                                     "the template's list.") % {"value": text})
        return pk

    def _parse_primary_filiere(self, line: int, text: str):
        return self._filiere(line, "primary_filiere", text)

    def _parse_other_filieres(self, line: int, text: str):
        whole = self.filieres.get(_norm(text))
        if whole is not None:
            return {whole}
        found = {self._filiere(line, "other_filieres", part)
                 for part in _LIST.split(text) if part}
        return None if None in found else found

    def _parse_contact_email(self, line: int, text: str):
        return self._parse_text(line, "contact_email", text)

    def _parse_contact_phone(self, line: int, text: str):
        phone = normalise_phone(text)
        if phone is None:
            self.error(line, "contact_phone", PHONE_MESSAGE)
        return phone or None

    def _parse_rsc_number(self, line: int, text: str):
        text = self._parse_text(line, "rsc_number", text)
        if text is not None and not self.number_key(text):
            self.error(line, "rsc_number", _("This RSC number has no letter or digit."))
            return None
        return text

    def _parse_rsc_date(self, line: int, text: str):
        return self._date(line, "rsc_date", text)

    def _parse_reless_member_since(self, line: int, text: str):
        return self._date(line, "reless_member_since", text)

    def _date(self, line: int, name: str, text: str):
        value = parse_date(text)
        if value is None:
            self.error(line, name, _("Give a date as YYYY-MM-DD or DD/MM/YYYY."))
        return value

    def _count(self, line: int, name: str, text: str, maximum: int = MAX_INT):
        value = parse_int(text)
        if value is None or value < 0 or value > maximum:
            self.error(line, name, _("Give a whole number, 0 or more."))
            return None
        return value

    def _parse_members_total(self, line, text):
        return self._count(line, "members_total", text)

    def _parse_members_women(self, line, text):
        return self._count(line, "members_women", text)

    def _parse_members_youth(self, line, text):
        return self._count(line, "members_youth", text)

    def _parse_employees(self, line, text):
        return self._count(line, "employees", text)

    def _parse_share_capital(self, line, text):
        return self._count(line, "share_capital", text, MAX_BIGINT)

    # matching

    def match(self, row: _Row) -> None:
        name = row.values.get("name")
        if name is None:
            return
        key = name_key(name)
        rsc = row.values.get("rsc_number")
        before = len(self.result.errors)
        if rsc:
            self._match_rsc(row, self.number_key(rsc), name, key)
        elif self.local_names.get(key):
            self.error(row.line, "name", _(
                "An organisation of the commune already has this name: give its RSC number "
                "to update it, or give this one a name of its own."))
        if row.target is None and key and len(self.result.errors) == before:
            # Two new rows of one name are one organisation, unless both have RSC numbers.
            first, first_rsc = self.seen_names.setdefault(key, (row.line, bool(rsc)))
            if first != row.line and not (rsc and first_rsc):
                self.error(row.line, "name", _("The same organisation is already on line "
                                               "%(line)s.") % {"line": first})

    def _match_rsc(self, row: _Row, key: str, name: str, name_key_: str) -> None:
        first = self.seen_rsc.setdefault(key, row.line)
        if first != row.line:
            self.error(row.line, "rsc_number", _("This RSC number is already on line "
                                                 "%(line)s.") % {"line": first})
            return
        matches = self.by_rsc.get(key, [])
        if len(matches) > 1:
            self.error(row.line, "rsc_number", _(
                "Ambiguous: several organisations have this RSC number; correct them in the "
                "registry first."))
        elif matches and matches[0][1] != self.commune.pk:
            outside = _("It belongs to an organisation of another commune: this row is outside "
                        "your commune.")
            self.error(row.line, "rsc_number", f"{self.messages['rsc']} {outside}")
        elif matches:
            current = self.local[matches[0][0]]
            if names_agree(name, current["name"], current["acronym"]):
                row.target = current["pk"]
            else:
                self.error(row.line, "name", _(
                    "Ambiguous: the RSC number is the one of “%(name)s”, whose name differs "
                    "too much from this one.") % {"name": current["name"]})
        elif any(self.local[pk]["rsc_number"] is None for pk in self.local_names.get(
                name_key_, ())):
            self.error(row.line, "name", _(
                "Ambiguous: an organisation of the commune has this name and no RSC number; "
                "add the number to it in the registry, or give this one a name of its own."))

    # rules

    def check_rules(self, row: _Row, cells: list[str]) -> None:
        current = self.local[row.target] if row.target else None
        if current is None and not row.unmatched:
            if not self._given(cells, self.legal_form_at):
                self.error(row.line, "legal_form", _("Give the legal form."))
            if not self._given(cells, self.primary_filiere_at):
                self.error(row.line, "primary_filiere", _("Give the primary filière."))
        model, base = row.model, current or DEFAULTS
        if (model.get("status") == OrganisationStatus.DISSOLVED
                and base["status"] != OrganisationStatus.DISSOLVED):
            self.error(row.line, "status", _(
                "An import does not dissolve organisations: dissolve it with the archive "
                "action of its page, which records the dissolution in the registry."))
        total = model.get("members_total", base.get("members_total", 0))
        if model.get("members_women", base.get("members_women", 0)) > total:
            self.error(row.line, "members_women", self.messages["women"])
        if model.get("members_youth", base.get("members_youth", 0)) > total:
            self.error(row.line, "members_youth", self.messages["youth"])
        legal_form = model.get("legal_form") or base.get("legal_form")
        minimum = LEGAL_MINIMUM_MEMBERS.get(legal_form)
        if minimum and total < minimum:
            self.error(row.line, "members_total", self.messages[legal_form])
        self._set_filieres(row, current)

    def _set_filieres(self, row: _Row, current: dict | None) -> None:
        values = row.values
        if current is None:
            primary = values.get("primary_filiere")
            row.filieres = {primary, *values.get("other_filieres", ())} - {None}
            return
        if "other_filieres" in values or "primary_filiere" in values:
            primary = values.get("primary_filiere", current["primary_filiere_id"])
            others = values.get("other_filieres", self.local_filieres[row.target])
            row.filieres = {primary, *others}

    def changes(self, row: _Row) -> bool:
        current = self.local[row.target]
        model = row.model
        if any(current[k] != v for k, v in model.items()):
            return True
        return row.filieres is not None and row.filieres != self.local_filieres[row.target]


def parse_int(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    if _GROUPED.fullmatch(text):
        return int(re.sub(r"\D", "", text))
    if re.fullmatch(r"\d+[.,]0+", text):  # "12.0" from a spreadsheet
        return int(re.split(r"[.,]", text)[0])
    return None


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?")
_FRENCH_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@functools.lru_cache(maxsize=8192)
def parse_date(text: str) -> datetime.date | None:
    """YYYY-MM-DD (a time after it is ignored) or DD/MM/YYYY (also with - or .)."""
    text = text.strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _FRENCH_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _read_header(header: list[str], result: ImportResult) -> dict[str, tuple[int, str]]:
    """Which column holds which field: {field: (index, title as written)}."""
    columns: dict[str, tuple[int, str]] = {}
    for index, title in enumerate(header):
        if not str(title).strip():
            continue
        name = HEADER_ALIASES.get(_norm(title))
        if name is None:
            result.ignored_columns.append(str(title))
        elif name in columns:
            result.errors.append(RowError(1, str(title), _("This column appears twice.")))
        else:
            columns[name] = (index, str(title).strip())
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            result.errors.append(RowError(1, COLUMNS[name][0], _("This column is missing.")))
    return columns


# Writing ----------------------------------------------------------------------------------------

def _write(plan: _Plan, user, commune: Commune, result: ImportResult) -> None:
    created = _create(plan.creates, user, commune)
    updated = _update(plan.updates, user)
    organisations_bulk_changed.send(sender=Organisation, commune_ids=[commune.pk])
    result.duplicates_flagged = flag_duplicates(commune.pk, created + updated)
    result.written = True


class _BulkWriter:
    """Rows inserted in bulk with their ids chosen first: COPY on PostgreSQL, executemany on
    SQLite, bulk_create elsewhere. The model's own bulk_create costs more Python per value
    than the database takes to store it; these paths keep an import above 5,000 rows/s.
    Values are already checked (the database's constraints still hold them)."""

    def __init__(self):
        self.vendor = connection.vendor

    def reserve_ids(self, model, count: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # The sequence named once: pg_get_serial_sequence() in the select list would
                # be looked up again for every id (8 times slower).
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                               [sequence, count])
                return [row[0] for row in cursor.fetchall()]
            if self.vendor == "sqlite":
                # A write first, so this transaction holds SQLite's write lock before it
                # reads the highest id: no other writer can take the same ids.
                cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")
                start = (cursor.fetchone()[0] or 0) + 1
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                used = cursor.fetchone()
                start = max(start, (used[0] + 1) if used else 1)
                return list(range(start, start + count))
        return []  # other databases: bulk_create assigns them

    def insert(self, model, columns: list[str], rows: Iterable[tuple]) -> None:
        """Insert the rows (tuples in `columns` order). `rows` may be a generator: on
        PostgreSQL the server stores the first rows while the next ones are built."""
        fields = [model._meta.get_field(name) for name in columns]
        if self.vendor == "postgresql":
            self._copy(model, fields, rows)
        elif self.vendor == "sqlite":
            self._executemany(model, fields, rows)
        else:
            model._default_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows],
                batch_size=BATCH)  # (not reached by imports: see reserve_ids)

    @staticmethod
    def _copy(model, fields, rows) -> None:
        """COPY in PostgreSQL's binary format, the columns' types read from the table: a
        seventh of the client's time of the text format, and no text for the server to
        parse (the values are already Python ints, dates, aware datetimes and texts)."""
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        names = ", ".join(quote(f.column) for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {names} FROM {table} LIMIT 0")
            types = [column.type_code for column in cursor.description]
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)

    def update(self, model, columns: list[str], rows: list[tuple]) -> None:
        """Set `columns` of the rows whose id is each tuple's first value (the others follow
        in `columns` order): one UPDATE … FROM (VALUES …) per chunk of rows."""
        quote = connection.ops.quote_name
        fields = [model._meta.pk, *(model._meta.get_field(name) for name in columns)]
        if self.vendor == "postgresql":  # typed placeholders, named VALUES columns
            one = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
            alias = "v(" + ", ".join(f"column{i + 1}" for i in range(len(fields))) + ")"
            size = 1000
        else:  # SQLite names the VALUES columns column1, column2… itself
            rows = list(_adapted(rows, self._adapters(fields)))
            one, alias = "(" + ", ".join(["%s"] * len(fields)) + ")", "v"
            size = max(1, 999 // len(fields))
        sets = ", ".join(f"{quote(f.column)} = v.column{i + 1}"
                         for i, f in enumerate(fields) if i)
        table = quote(model._meta.db_table)
        with connection.cursor() as cursor:
            for start in range(0, len(rows), size):
                chunk = rows[start:start + size]
                cursor.execute(
                    f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([one] * len(chunk))}) "
                    f"AS {alias} WHERE {table}.{quote(fields[0].column)} = v.column1",
                    [value for row in chunk for value in row])

    @staticmethod
    def _adapters(fields) -> dict:
        ops = connection.ops
        return {i: ops.adapt_datetimefield_value if isinstance(f, models.DateTimeField)
                else ops.adapt_datefield_value for i, f in enumerate(fields)
                if isinstance(f, models.DateField)}  # DateTimeField is a DateField

    @classmethod
    def _executemany(cls, model, fields, rows) -> None:
        quote = connection.ops.quote_name
        adapters = cls._adapters(fields)
        if adapters:
            rows = _adapted(rows, adapters)
        sql = (f"INSERT INTO {quote(model._meta.db_table)} "
               f"({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})")
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _adapted(rows: Iterable[tuple], adapters: dict) -> Iterator[tuple]:
    """Rows with their date and time values in the database's text form (each distinct value
    adapted once: an import repeats a few dates and one timestamp)."""
    memo: dict = {}
    for row in rows:
        row = list(row)
        for i, adapt in adapters.items():
            value = row[i]
            if value is not None:
                key = (i, value)
                if key not in memo:
                    memo[key] = adapt(value)
                row[i] = memo[key]
        yield tuple(row)


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _history_columns(model) -> list[str]:
    return [f.attname for f in model.history.model._meta.concrete_fields
            if f.attname != "history_id"]


HISTORY_STAMP = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _history_table(model, rows: list[tuple], user, now,
                   kind: str = "+") -> tuple[list[str], Iterator[tuple]]:
    """Columns and rows of one history record ("+" created, "~" changed) per written row (a
    tuple in `_columns(model)` order), the uploader as author, as simple_history writes for
    a save."""
    history = model.history.model
    tracked = [c for c in _history_columns(model) if c not in HISTORY_STAMP]
    position = {name: i for i, name in enumerate(_columns(model))}
    pick = operator.itemgetter(*(position[c] for c in tracked))
    stamp = (now, CHANGE_REASON, kind, user.pk)
    if len(tracked) + len(HISTORY_STAMP) != len(history._meta.concrete_fields) - 1:
        raise RuntimeError(f"{history.__name__} has columns the import does not fill")
    return [*tracked, *HISTORY_STAMP], (pick(row) + stamp for row in rows)


def _create(rows: list[_Row], user, commune: Commune) -> list[int]:
    """Insert the new organisations, their filières, their history rows and, for those with
    an RSC number, a registration event (with its own history row)."""
    if not rows:
        return []
    writer = _BulkWriter()
    now, today = timezone.now(), timezone.localdate()
    ids = writer.reserve_ids(Organisation, len(rows))
    if not ids:  # a database without a fast path: the ORM's bulk helpers
        return _create_with_orm(rows, user, commune)
    columns = _columns(Organisation)
    position = {name: i for i, name in enumerate(columns)}
    base = {f.attname: f.get_default() for f in Organisation._meta.concrete_fields}
    base.update(DEFAULTS, commune_id=commune.pk, created_at=now, updated_at=now)
    base = [base[c] for c in columns]
    id_at = position["id"]
    tuples: list[tuple] = []

    def organisations():  # built while the database stores the previous ones
        for pk, row in zip(ids, rows, strict=True):
            values = base.copy()
            values[id_at] = pk
            for name, value in row.model.items():
                values[position[name]] = value
            tuples.append(tuple(values))
            yield tuples[-1]

    writer.insert(Organisation, columns, organisations())
    writer.insert(Organisation.history.model, *_history_table(Organisation, tuples, user, now))
    writer.insert(OrganisationFiliere, ["organisation_id", "filiere_id"],
                  ((pk, f) for pk, row in zip(ids, rows, strict=True)
                   for f in sorted(row.filieres)))
    rsc_at, date_at = position["rsc_number"], position["rsc_date"]
    registered = [t for t in tuples if t[rsc_at]]
    event_ids = writer.reserve_ids(RegistryEvent, len(registered)) if registered else []
    event_columns = _columns(RegistryEvent)
    kind = RegistryEvent.Kind.REGISTRATION.value
    events = [tuple({"id": event_id, "organisation_id": t[id_at], "kind": kind,
                     "date": t[date_at] or today, "reference": t[rsc_at], "note": ""}[c]
                    for c in event_columns)
              for event_id, t in zip(event_ids, registered, strict=True)]
    writer.insert(RegistryEvent, event_columns, events)
    writer.insert(RegistryEvent.history.model, *_history_table(RegistryEvent, events, user, now))
    return ids


def _create_with_orm(rows: list[_Row], user, commune: Commune) -> list[int]:
    objects = [Organisation(commune=commune, **{**DEFAULTS, **row.model}) for row in rows]
    saved = bulk_create_with_history(objects, Organisation, batch_size=BATCH,
                                     default_user=user, default_change_reason=CHANGE_REASON)
    ids = [o.pk for o in saved]
    OrganisationFiliere.objects.bulk_create(
        [OrganisationFiliere(organisation_id=pk, filiere_id=f)
         for pk, row in zip(ids, rows, strict=True) for f in sorted(row.filieres)],
        batch_size=5 * BATCH)
    today = timezone.localdate()
    events = [RegistryEvent(organisation_id=o.pk, kind=RegistryEvent.Kind.REGISTRATION,
                            date=o.rsc_date or today, reference=o.rsc_number)
              for o in saved if o.rsc_number]
    bulk_create_with_history(events, RegistryEvent, batch_size=BATCH, default_user=user,
                             default_change_reason=CHANGE_REASON)
    return ids


def _update(rows: list[_Row], user) -> list[int]:
    """Write the changed columns of the updated organisations, one history row each, and
    their filières when the row sets them."""
    if not rows:
        return []
    writer = _BulkWriter()
    if writer.vendor not in ("postgresql", "sqlite"):
        return _update_with_orm(rows, user)
    ids = [row.target for row in rows]
    columns = _columns(Organisation)
    position = {name: i for i, name in enumerate(columns)}
    current: dict[int, list] = {}
    for start in range(0, len(ids), BATCH):
        for values in Organisation.objects.filter(pk__in=ids[start:start + BATCH]).values_list(
                *columns):
            current[values[position["id"]]] = list(values)
    now = timezone.now()
    changed = {"updated_at"}  # only the columns some row changes
    for row in rows:
        values = current[row.target]
        for name, value in row.model.items():
            if values[position[name]] != value:
                values[position[name]] = value
                changed.add(name)
        values[position["updated_at"]] = now
    changed = sorted(changed)
    tuples = [tuple(current[pk]) for pk in ids]
    writer.update(Organisation, changed,
                  [(t[position["id"]], *(t[position[c]] for c in changed)) for t in tuples])
    writer.insert(Organisation.history.model,
                  *_history_table(Organisation, tuples, user, now, kind="~"))
    with_filieres = [row for row in rows if row.filieres is not None]
    for start in range(0, len(with_filieres), BATCH):
        OrganisationFiliere.objects.filter(organisation_id__in=[
            row.target for row in with_filieres[start:start + BATCH]]).delete()
    writer.insert(OrganisationFiliere, ["organisation_id", "filiere_id"],
                  ((row.target, f) for row in with_filieres for f in sorted(row.filieres)))
    return ids


def _update_with_orm(rows: list[_Row], user) -> list[int]:
    ids = [row.target for row in rows]
    objects = {}
    for start in range(0, len(ids), BATCH):
        objects.update(Organisation.objects.in_bulk(ids[start:start + BATCH]))
    now = timezone.now()
    fields = {"updated_at"}
    for row in rows:
        organisation = objects[row.target]
        for name, value in row.model.items():
            if getattr(organisation, name) != value:
                setattr(organisation, name, value)
                fields.add(name.removesuffix("_id"))
        organisation.updated_at = now
    bulk_update_with_history([objects[pk] for pk in ids], Organisation, sorted(fields),
                             batch_size=UPDATE_BATCH, default_user=user,
                             default_change_reason=CHANGE_REASON)
    with_filieres = [row for row in rows if row.filieres is not None]
    OrganisationFiliere.objects.filter(
        organisation_id__in=[row.target for row in with_filieres]).delete()
    OrganisationFiliere.objects.bulk_create(
        [OrganisationFiliere(organisation_id=row.target, filiere_id=f)
         for row in with_filieres for f in sorted(row.filieres)], batch_size=5 * BATCH)
    return ids


# The entry point ------------------------------------------------------------------------------

def import_organisations(*, user, commune: Commune, rows, dry_run: bool = True,
                         file_name: str | None = None,
                         progress: Callable[[int, int], None] | None = None,
                         before_write: Callable[[], bool] | None = None,
                         on_written: Callable[[ImportResult], None] | None = None,
                         isolated: bool = False) -> ImportResult:
    """Check (dry run) or import organisations into `commune`, all or nothing.

    `rows`: the file's bytes or a file object (CSV or XLSX, told by `file_name` or the
    object's name), or an iterable of dicts keyed by headers. `progress(checked, total)` is
    called every 2,000 rows. Inside the import's transaction, `before_write()` runs first
    (False: write nothing) and `on_written(result)` after the writes. `isolated`: read the
    file in a child process under the memory limit (spreadsheets.read_table_in_child).
    Raises PermissionDenied when the user may not write to the commune, OutOfMemory when
    reading the file needs more memory than allowed."""
    if not can_write_commune(user, commune.pk):
        raise PermissionDenied
    result = ImportResult(dry_run=dry_run)
    with _collector_paused():  # (the rows and plan are let go before it resumes)
        plan = _check(rows, file_name, commune, result, progress, isolated)
        if result.ok and not dry_run and (plan.creates or plan.updates):
            with transaction.atomic():
                if before_write is None or before_write():
                    _write(plan, user, commune, result)
                    if on_written:
                        on_written(result)
        del plan
    return result


def _check(rows, file_name: str | None, commune: Commune, result: ImportResult,
           progress: Callable[[int, int], None] | None, isolated: bool) -> _Plan:
    """Read and check the file: what to write, or errors in `result`."""
    plan = _Plan()
    table = _table_checked(rows, file_name, result, isolated)
    if result.errors:
        return plan
    columns = _read_header(table[0], result)
    if not result.errors:
        _Checker(commune, columns, result).check_all(table[1:], plan, progress)
    return plan


def _table_checked(rows, file_name: str | None, result: ImportResult,
                   isolated: bool) -> list[list[str]]:
    """The file as a table, or [] with an error in `result` (unreadable, empty, too long)."""
    try:
        table = _as_table(rows, file_name, isolated)
    except UnreadableFile as error:
        result.errors.append(RowError(1, "", str(error)))
        return []
    if not table or not any(table[0]):
        result.errors.append(RowError(1, "", _("The file is empty.")))
        return []
    if len(table) > MAX_ROWS + 1:
        result.errors.append(RowError(MAX_ROWS + 2, "", _(
            "Too many rows: at most %(max)s organisations per file.") % {"max": MAX_ROWS}))
        return []
    return table


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused (as it was before, after). An import keeps a few
    hundred thousand containers alive until it ends (rows, cells, plans); each batch of them
    sets off a collection that walks the whole heap of the process, which took longer than
    checking the rows. Reference counting still frees everything the import lets go."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Templates --------------------------------------------------------------------------------------

def template_csv() -> bytes:
    """The empty file as CSV: UTF-8 with a byte-order mark and semicolons, which is what a
    French-language spreadsheet opens and saves."""
    return ("\ufeff" + csvsafe.writer(delimiter=";").writerow(TEMPLATE_HEADERS)).encode("utf-8")


def template_xlsx() -> bytes:
    """The empty file as XLSX, with the filières, legal forms and statuses on their own
    sheets and offered as drop-down choices."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "organisations"
    sheet.append(TEMPLATE_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    lists = {
        "filieres": (["code", "nom", "name"], list(
            Filiere.objects.order_by("code").values_list("code", "name_fr", "name_en"))),
        "formes": (["code", "forme_juridique"], _labels(LegalForm)),
        "statuts": (["code", "statut"], _labels(OrganisationStatus)),
    }
    for title, (header, rows) in lists.items():
        extra = workbook.create_sheet(title)
        extra.append(header)
        for row in rows:
            csvsafe.append_as_text(extra, row)
    for column, title in (("C", "formes"), ("H", "filieres"), ("J", "statuts")):
        count = len(lists[title][1])
        if count:
            validation = DataValidation(type="list", allow_blank=True,
                                        formula1=f"{title}!$A$2:$A${count + 1}")
            validation.add(f"{column}2:{column}{MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _labels(choices) -> list[tuple[str, str]]:
    with translation.override("fr"):
        return [(value, str(label)) for value, label in choices.choices]


# Jobs -------------------------------------------------------------------------------------------

def import_job_create(*, user, commune: Commune, file_name: str, content: bytes,
                      dry_run: bool) -> ImportJob:
    """Record an upload and queue its check or import (run on commit by a worker)."""
    if not can_write_commune(user, commune.pk):
        raise PermissionDenied
    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is too large: at most %(mb)s MB.")
                              % {"mb": MAX_BYTES // (1024 * 1024)})
    if not file_name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise ValidationError(_("Choose a .csv or .xlsx file."))
    try:  # the fast checks (zip directory, declared sizes); the worker reads the rows
        spreadsheets.check_upload(content, file_name, upload_limits(),
                                  text_extensions=TEXT_EXTENSIONS)
    except UnreadableFile as error:
        raise ValidationError(str(error)) from None
    job = ImportJob.objects.create(uploader=user, commune=commune, file_name=file_name[:255],
                                   content=content, dry_run=dry_run,
                                   language=translation.get_language() or "fr")
    _enqueue(job)
    return job


def import_job_confirm(*, user, job: ImportJob) -> ImportJob:
    """Import the file of a clean dry run: a new job, on the same content."""
    if job.uploader_id != user.pk or not can_write_commune(user, job.commune_id):
        raise PermissionDenied
    if not (job.dry_run and job.status == ImportJob.Status.DONE and job.refused_count == 0
            and job.content):
        raise ValidationError(_("Only a checked file without errors can be imported."))
    return import_job_create(user=user, commune=job.commune, file_name=job.file_name,
                             content=bytes(job.content), dry_run=False)


def _enqueue(job: ImportJob) -> None:
    from .tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.delay(job.pk))


def import_job_run(job_id: int) -> ImportJob | None:
    """Run a queued job (or one a dead worker left running); a finished job is left alone,
    so a redelivered task does nothing twice. Failures are recorded on the job."""
    job = ImportJob.objects.select_related("uploader", "commune").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING,
                                               rows_checked=0)

    def progress(checked: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_checked=checked, rows_total=total)

    def unfinished() -> bool:  # locks the job: a second delivery waits, then sees it done
        return ImportJob.objects.select_for_update().filter(pk=job.pk).exclude(
            status=ImportJob.Status.DONE).exists()

    try:
        with translation.override(job.language):
            result = import_organisations(
                user=job.uploader, commune=job.commune, rows=bytes(job.content),
                file_name=job.file_name, dry_run=job.dry_run, progress=progress,
                before_write=unfinished, on_written=lambda r: _finish(job, r), isolated=True)
    except PermissionDenied:
        return _fail(job, "The uploader may no longer write to this commune.")
    except spreadsheets.OutOfMemory as error:  # its message is in the uploader's language
        return _fail(job, str(error))
    if not result.written:
        with transaction.atomic():
            if unfinished():
                _finish(job, result)
    job.refresh_from_db(fields=["status"])
    return job


def _finish(job: ImportJob, result: ImportResult) -> None:
    job.status = ImportJob.Status.DONE
    job.rows_total = job.rows_checked = result.rows
    job.created_count = len(result.created)
    job.updated_count = len(result.updated)
    job.refused_count = len(result.refused_lines) or (1 if result.errors else 0)
    job.result = result.to_json()
    job.finished_at = timezone.now()
    fields = ["status", "rows_total", "rows_checked", "created_count", "updated_count",
              "refused_count", "result", "finished_at"]
    if result.written:
        job.content = b""  # the rows are in the registry now
        fields.append("content")
    job.save(update_fields=fields)


def import_jobs_fail_stale(max_age_seconds: int = 3600) -> int:
    """Jobs queued or running for longer than any import may take are marked failed (a lost
    message must not leave a job waiting forever)."""
    limit = timezone.now() - datetime.timedelta(seconds=max_age_seconds)
    return ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING], created_at__lt=limit,
    ).update(status=ImportJob.Status.FAILED, finished_at=timezone.now(),
             error="Timed out: no worker finished this import.")


def import_job_fail(job_id: int, error: BaseException | str) -> None:
    """Record a failure so a job is never left running forever."""
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportJob.Status.DONE).update(
        status=ImportJob.Status.FAILED, error=str(error)[:5000], finished_at=timezone.now())


def _fail(job: ImportJob, error: str) -> ImportJob:
    import_job_fail(job.pk, error)
    job.refresh_from_db()
    return job


def get_import_job_for_user(user, pk) -> ImportJob:
    """An import job for its uploader (or a national admin), else 404."""
    jobs = ImportJob.objects.select_related("commune", "uploader").defer("content")
    if not scope_of(user).is_admin:
        jobs = jobs.filter(uploader=user)
    try:
        return jobs.get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
