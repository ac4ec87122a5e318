"""Checking an organisation file's rows against preloaded data (a fixed handful of queries
per import, none per row): each cell parsed, each row matched to the organisation it updates
(or none: a creation) and held to the model's rules. The outcome is a `Plan` of rows to
create and update, and every error in the `ImportResult`."""

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from communes.models import Commune

from ..duplicates import name_key, rsc_key
from ..models import (
    LEGAL_MINIMUM_MEMBERS,
    ContactConsent,
    LegalForm,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
)
from ..rules import PHONE_MESSAGE, normalise_phone
from .columns import (
    COLUMNS,
    CONSENT_WORDS,
    COUNT_DIGITS,
    DEFAULTS,
    LEGAL_FORM_WORDS,
    MEMO_FIELDS,
    MODEL_FIELDS,
    MODEL_KEYS,
    STATUS_WORDS,
    TEXT_LIMITS,
    choice_lookup,
    commune_lookup,
    filiere_lookup,
)
from .identifiers import IdentifierChecks
from .matching import names_agree, organisations_by_rsc
from .reading import normalize, parse_date, parse_int
from .results import ImportResult, RowError

PROGRESS_EVERY = 2_000
MAX_INT = 2_147_483_647
MAX_BIGINT = 9_223_372_036_854_775_807
_LIST = re.compile(r"\s*[;|,]\s*")
_UNSEEN = object()


class _EmailValidator(EmailValidator):
    """Django's email rules with its regular expressions compiled once (the lazy ones cost
    more than the matching on thousands of rows)."""

    user_regex = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
    domain_regex = re.compile(EmailValidator.domain_regex.pattern,
                              EmailValidator.domain_regex.flags)
    literal_regex = re.compile(EmailValidator.literal_regex.pattern,
                               EmailValidator.literal_regex.flags)


_email = _EmailValidator()


def _constraint_message(name: str) -> str:
    for constraint in Organisation._meta.constraints:
        if constraint.name == name:
            return str(constraint.violation_error_message)
    raise LookupError(name)


class Row:
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
class Plan:
    creates: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)


class Checker(IdentifierChecks):
    """Checks every row against preloaded data: a fixed handful of queries per import."""

    def __init__(self, commune: Commune, columns: dict[str, tuple[int, str]],
                 result: ImportResult):
        self.commune = commune
        self.columns = columns
        self.result = result
        self.legal_forms = choice_lookup(LEGAL_FORM_WORDS, LegalForm)
        self.statuses = choice_lookup(STATUS_WORDS, OrganisationStatus)
        self.consents = {k: v for k, v in choice_lookup(CONSENT_WORDS, ContactConsent.Method)
                         .items() if v != ContactConsent.Method.ONLINE}
        self.filieres = filiere_lookup()
        self.communes = commune_lookup()
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
            **{name: _constraint_message(name) for name in (
                "org_niu_unique", "org_ues_number_unique", "org_work_members_le_total")},
        }

    def _load_registry(self) -> None:
        self.by_rsc: dict[str, list[tuple[int, int]]] = {}  # the file's numbers: check_all
        self.local: dict[int, dict] = {}
        self.local_names: dict[str, list[int]] = defaultdict(list)
        for values in Organisation.objects.filter(commune=self.commune).values(
                "pk", "contact_consent", *MODEL_FIELDS):
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

    def check_all(self, records: list[list[str]], plan: Plan,
                  progress: Callable[[int, int], None] | None) -> None:
        self.by_rsc = organisations_by_rsc(self._file_rsc_keys(records))
        self.load_identifiers(records)
        total = len(records)
        for number, cells in enumerate(records):
            if any(cells):
                self.check(number + 2, cells, plan)
                self.result.rows += 1
            if progress and (number + 1) % PROGRESS_EVERY == 0:
                progress(number + 1, total)
        if progress:
            progress(total, total)

    def check(self, line: int, cells: list[str], plan: Plan) -> None:
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

    def parse(self, line: int, cells: list[str]) -> Row:
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
        return Row(line, values, model)

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
        value = self.legal_forms.get(normalize(text))
        if value is None:
            self.error(line, "legal_form", _(
                "Unknown legal form “%(value)s”: use SCOOPS, COOP-CA, union, fédération, GIC, "
                "association or autre.") % {"value": text})
        return value

    def _parse_status(self, line: int, text: str):
        value = self.statuses.get(normalize(text))
        if value is None:
            self.error(line, "status", _(
                "Unknown status “%(value)s”: use en création, active, en sommeil or dissoute.")
                % {"value": text})
        return value

    def _parse_contact_consent(self, line: int, text: str):
        value = self.consents.get(normalize(text))
        if value is None:
            self.error(line, "contact_consent", _(
                "Unknown consent “%(value)s”: use papier (a signed form kept at the commune) "
                "or en personne, or leave the cell empty.") % {"value": text})
        return value

    def _parse_commune(self, line: int, text: str):
        found = self.communes.get(normalize(text))
        if not found:
            self.error(line, "commune", _("Unknown commune “%(value)s”: give its P-code or its "
                                          "name.") % {"value": text})
        elif self.commune.pk not in found:
            self.error(line, "commune", _(
                "This row belongs to another commune than %(commune)s: an import only "
                "registers organisations of its own commune.") % {"commune": self.commune.name})
        return None  # the commune is always the import's

    def _filiere(self, line: int, name: str, text: str) -> int | None:
        pk = self.filieres.get(normalize(text))
        if pk is None:
            self.error(line, name, _("Unknown filière “%(value)s”: use a code or a name from "
                                     "the template's list.") % {"value": text})
        return pk

    def _parse_primary_filiere(self, line: int, text: str):
        return self._filiere(line, "primary_filiere", text)

    def _parse_other_filieres(self, line: int, text: str):
        whole = self.filieres.get(normalize(text))
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

    def match(self, row: Row) -> None:
        name = row.values.get("name")
        if name is None:
            return
        key = name_key(name)
        rsc = row.values.get("rsc_number")
        before = len(self.result.errors)
        if rsc:
            self._match_rsc(row, self.number_key(rsc), name, key)
        elif self.match_identifier(row, name):
            pass
        elif self.local_names.get(key):
            self.error(row.line, "name", _(
                "An organisation of the commune already has this name: give its RSC number "
                "to update it, or give this one a name of its own."))
        if row.target is None and key and len(self.result.errors) == before:
            # Two new rows of one name are one organisation, unless both have a number.
            numbered = bool(rsc or row.values.get("niu") or row.values.get("ues_number"))
            first, first_rsc = self.seen_names.setdefault(key, (row.line, numbered))
            if first != row.line and not (numbered and first_rsc):
                self.error(row.line, "name", _("The same organisation is already on line "
                                               "%(line)s.") % {"line": first})

    def _match_rsc(self, row: Row, key: str, name: str, name_key_: str) -> None:
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

    def check_rules(self, row: Row, cells: list[str]) -> None:
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
        self.check_work(row, base, total)
        self.check_identifiers(row)
        legal_form = model.get("legal_form") or base.get("legal_form")
        minimum = LEGAL_MINIMUM_MEMBERS.get(legal_form)
        if minimum and total < minimum:
            self.error(row.line, "members_total", self.messages[legal_form])
        self._set_filieres(row, current)

    def _set_filieres(self, row: Row, current: dict | None) -> None:
        values = row.values
        if current is None:
            primary = values.get("primary_filiere")
            row.filieres = {primary, *values.get("other_filieres", ())} - {None}
            return
        if "other_filieres" in values or "primary_filiere" in values:
            primary = values.get("primary_filiere", current["primary_filiere_id"])
            others = values.get("other_filieres", self.local_filieres[row.target])
            row.filieres = {primary, *others}

    def changes(self, row: Row) -> bool:
        current = self.local[row.target]
        model = row.model
        if any(current[k] != v for k, v in model.items()):
            return True
        if "contact_consent" in row.values and current["contact_consent"] != "given":
            return True  # a consent to record
        return row.filieres is not None and row.filieres != self.local_filieres[row.target]
