"""The NIU and UES register number of an organisation file's rows (cooperatives.identifiers),
its type by member interest and its work counts: parsing, matching (a row without an RSC
number designates the organisation holding its NIU, else its UES number) and uniqueness (a
number held by another organisation, or given twice in the file, is refused). Part of the
import's `Checker`, which calls these methods; one query per identifier and import."""

from django.utils.translation import gettext as _

from ..identifiers import NIU_MESSAGE, UES_MESSAGE, normalise_niu, normalise_ues
from ..models import MemberInterest, Organisation
from .columns import INTEREST_WORDS, choice_lookup
from .matching import names_agree
from .reading import normalize

# field -> (how a cell becomes the stored value, the message of a bad cell)
IDENTIFIERS = {"niu": (normalise_niu, NIU_MESSAGE), "ues_number": (normalise_ues, UES_MESSAGE)}
_UNIQUE = {"niu": "org_niu_unique", "ues_number": "org_ues_number_unique"}


def identifier_holders(columns: dict, records: list[list[str]]) -> dict[str, dict]:
    """For each identifier column of the file: the organisations (id, commune id) holding the
    file's valid numbers, by number."""
    holders: dict[str, dict] = {}
    for name, (normalise, _message) in IDENTIFIERS.items():
        if name not in columns:
            holders[name] = {}
            continue
        at = columns[name][0]
        values = {normalise(cells[at]) for cells in records if len(cells) > at and cells[at]}
        values -= {None, ""}
        holders[name] = {row[0]: (row[1], row[2]) for row in Organisation.objects.filter(
            **{f"{name}__in": values}).values_list(name, "pk", "commune_id")} if values else {}
    return holders


class IdentifierChecks:
    """Methods of the import's `Checker` (which holds `commune`, `local`, `error`, `_count`
    and `messages`) for the identifiers, member interest and work counts."""

    def load_identifiers(self, records: list[list[str]]) -> None:
        self.holders = identifier_holders(self.columns, records)
        self.seen_ids: dict[str, dict[str, int]] = {name: {} for name in IDENTIFIERS}
        self.interests = choice_lookup(INTEREST_WORDS, MemberInterest)

    def _identifier(self, line: int, name: str, text: str):
        normalise, message = IDENTIFIERS[name]
        value = normalise(text)
        if value is None:
            self.error(line, name, message)
        return value or None

    def _parse_niu(self, line: int, text: str):
        return self._identifier(line, "niu", text)

    def _parse_ues_number(self, line: int, text: str):
        return self._identifier(line, "ues_number", text)

    def _parse_member_interest(self, line: int, text: str):
        value = self.interests.get(normalize(text))
        if value is None:
            self.error(line, "member_interest", _(
                "Unknown type by member interest “%(value)s”: use producteurs, travailleurs, "
                "consommateurs ou usagers, or multi-parties prenantes.") % {"value": text})
        return value

    def _parse_worker_members(self, line, text):
        return self._count(line, "worker_members", text)

    def _parse_producer_members(self, line, text):
        return self._count(line, "producer_members", text)

    def match_identifier(self, row, name: str) -> bool:
        """Match a row without an RSC number by its NIU, else its UES number: True when one
        of them decided (the row's target set, or an error given)."""
        for field in IDENTIFIERS:
            value = row.values.get(field)
            holder = self.holders.get(field, {}).get(value) if value else None
            if holder is None:
                continue
            pk, commune_id = holder
            if commune_id != self.commune.pk:
                self.error(row.line, field, "{} {}".format(
                    self.messages[_UNIQUE[field]], _("It belongs to an organisation of "
                                                     "another commune: this row is outside "
                                                     "your commune.")))
            elif names_agree(name, self.local[pk]["name"], self.local[pk]["acronym"]):
                row.target = pk
            else:
                self.error(row.line, "name", _(
                    "Ambiguous: the number is the one of “%(name)s”, whose name differs too "
                    "much from this one.") % {"name": self.local[pk]["name"]})
            return True
        return False

    def check_identifiers(self, row) -> None:
        """Each number once in the file, and held by no organisation but the row's."""
        if row.unmatched:  # the matching named what is wrong with its numbers
            return
        for field in IDENTIFIERS:
            value = row.values.get(field)
            if not value:
                continue
            first = self.seen_ids[field].setdefault(value, row.line)
            holder = self.holders[field].get(value)
            if first != row.line:
                self.error(row.line, field, _("This number is already on line %(line)s.")
                           % {"line": first})
            elif holder is not None and holder[0] != row.target:
                self.error(row.line, field, self.messages[_UNIQUE[field]])

    def check_work(self, row, base: dict, total: int) -> None:
        """Worker-members and producer-members together within the members."""
        model = row.model
        work = (model.get("worker_members", base.get("worker_members", 0))
                + model.get("producer_members", base.get("producer_members", 0)))
        if work > total:
            self.error(row.line, "worker_members", self.messages["org_work_members_le_total"])
