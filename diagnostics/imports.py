"""Import of a diagnostic grid from CSV or XLSX: one row per need of the PCD grid.

Columns (French headers; accents, case, spaces and the English names are accepted too):
secteur (sector code or French/English name), niveau, localite, probleme, potentialites,
besoin, rang. A dry run reports what would be created and every bad row (line, column, reason);
an import writes all the rows or, if any row is bad, none. Line numbers are the row numbers a
spreadsheet shows (the header is line 1). The HTML view and the API both call `import_grid`.
Reading the file, its header and the templates are the organisation import's
(cooperatives.imports); this module holds the grid's columns and rules.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cooperatives import imports
from cooperatives.imports import RowError, UnreadableFile, normalize
from sectors.models import Sector

from . import services
from .models import DiagnosticEntry, Level, TerritorialDiagnostic

MAX_ROWS = 20_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
RANK_MAX = 999
# field -> (the template's French header, other accepted headers, already normalised)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sector": ("secteur", ("sector", "code secteur", "secteur code", "sector code")),
    "level": ("niveau", ("level",)),
    "locality": ("localite", ("locality", "village", "quartier")),
    "problem": ("probleme", ("problemes", "problem", "problems", "contraintes", "constraints")),
    "potentials": ("potentialites", ("potentialite", "potentiels", "potentials", "potential",
                                     "atouts", "assets")),
    "need": ("besoin", ("besoins", "need", "needs")),
    "priority_rank": ("rang", ("rang de priorite", "priorite", "rank", "priority",
                               "priority rank")),
}
REQUIRED = ("sector", "need", "priority_rank")
TEMPLATE_HEADERS = [french for french, _aliases in COLUMNS.values()]
LEVELS = {
    Level.VILLAGE: ("village", "quartier", "village ou quartier", "village or quarter"),
    Level.URBAN: ("urban", "urbain", "espace urbain", "urban space", "ville"),
    Level.INSTITUTION: ("institution", "institution communale", "commune institution",
                        "commune", "mairie"),
}
TEMPLATE_LEVELS = {Level.VILLAGE: "village", Level.URBAN: "urbain",
                   Level.INSTITUTION: "institution"}
TEXT_FIELDS = ("locality", "problem", "potentials", "need")


HEADER_ALIASES = imports.header_aliases(COLUMNS)
LEVEL_ALIASES = {alias: level for level, aliases in LEVELS.items() for alias in aliases}


@dataclass
class GridImport:
    """What a file gives: the entries it would create and every error found."""

    entries: list[DiagnosticEntry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = True
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@transaction.atomic
def import_grid(*, user, diagnostic: TerritorialDiagnostic, content: bytes, filename: str,
                dry_run: bool = True) -> GridImport:
    """Check (dry run) or import a grid file into a draft diagnostic the user may change.
    Raises PermissionDenied, or ValidationError when the diagnostic is validated."""
    services.diagnostic_lock_for_edit(user=user, diagnostic=diagnostic)
    try:
        result = parse_grid(read_table(content, filename), diagnostic=diagnostic)
    except UnreadableFile as error:
        result = GridImport(errors=[RowError(1, "", str(error))])
    result.dry_run = dry_run
    if result.ok and not dry_run:
        result.created = services.diagnostic_entries_bulk_add(
            user=user, diagnostic=diagnostic, entries=result.entries)
    return result


def upload_limits() -> imports.Limits:
    """What a grid file may hold. The grid is read in the web request (a PCD grid has tens
    to hundreds of needs), so its files are held smaller than organisation files: settings
    GRID_IMPORT_MAX_CELLS and GRID_IMPORT_MAX_UNZIPPED_MB."""
    return imports.Limits.from_settings(
        max_rows=MAX_ROWS, max_bytes=MAX_UPLOAD_BYTES, max_cells=settings.GRID_IMPORT_MAX_CELLS,
        max_unzipped=settings.GRID_IMPORT_MAX_UNZIPPED_MB * imports.MB)


def check_upload(content: bytes, filename: str) -> None:
    """The fast checks of a grid upload (size, zip directory); raises UnreadableFile."""
    imports.check_upload(content, filename, upload_limits())


def read_table(content: bytes, filename: str) -> list[list[str]]:
    """The file's rows as lists of stripped strings (XLSX: its first sheet)."""
    return imports.read_table(content, filename, limits=upload_limits())


def parse_grid(table: list[list[str]], *, diagnostic: TerritorialDiagnostic) -> GridImport:
    """Validate every row of the table against the rules of a diagnostic entry (without
    saving): two queries (the sectors, the diagnostic's ranks in use)."""
    result = GridImport()
    problem = imports.table_problem(table, MAX_ROWS, _(
        "Too many rows: at most %(max)s needs per file.") % {"max": f"{MAX_ROWS:,}"})
    if problem and problem.line == 1:  # empty
        result.errors.append(problem)
        return result
    columns = imports.read_header(table[0], COLUMNS, HEADER_ALIASES, REQUIRED, result.errors,
                                  result.ignored_columns)
    if problem:
        result.errors.append(problem)
    if result.errors:
        return result
    _RowChecker(diagnostic, columns, result).check_all(table[1:])
    return result


class _RowChecker:
    def __init__(self, diagnostic, columns, result: GridImport):
        self.diagnostic = diagnostic
        self.columns = columns
        self.result = result
        self.sectors = _sector_lookup()
        # (sector id, rank) -> line of the file that uses it (0: the diagnostic already does)
        self.ranks: dict[tuple[int, int], int] = dict.fromkeys(
            DiagnosticEntry.objects.filter(diagnostic=diagnostic)
            .values_list("sector_id", "priority_rank"), 0)

    def check_all(self, rows: list[list[str]]) -> None:
        for line, cells in enumerate(rows, start=2):
            if any(cells):
                self.check(line, cells)

    def value(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name, (None,))[0]
        return cells[index] if index is not None and index < len(cells) else ""

    def error(self, line: int, name: str, message: str) -> None:
        title = self.columns.get(name, (None, COLUMNS[name][0]))[1]
        self.result.errors.append(RowError(line, title, str(message)))

    def check(self, line: int, cells: list[str]) -> None:
        before = len(self.result.errors)
        sector = self._sector(line, self.value(cells, "sector"))
        level = self._level(line, self.value(cells, "level"))
        rank = self._rank(line, self.value(cells, "priority_rank"))
        entry = DiagnosticEntry(diagnostic=self.diagnostic, level=level or Level.VILLAGE,
                                priority_rank=rank or 1,
                                **{name: self.value(cells, name) for name in TEXT_FIELDS})
        try:
            entry.clean_fields(exclude=["diagnostic", "sector", "level", "priority_rank"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.error(line, name, message)
        if sector and rank:
            self._check_rank_free(line, sector, rank)
        if len(self.result.errors) == before:
            entry.sector = sector
            self.result.entries.append(entry)

    def _sector(self, line: int, value: str) -> Sector | None:
        if not value:
            self.error(line, "sector", _("Give the sector (its code or its name)."))
            return None
        sector = self.sectors.get(normalize(value))
        if sector is None:
            self.error(line, "sector", _("Unknown sector “%(value)s”: use a code or a name "
                                         "from the template's list.") % {"value": value})
        return sector

    def _level(self, line: int, value: str) -> str | None:
        if not value:
            return Level.VILLAGE
        level = LEVEL_ALIASES.get(normalize(value))
        if level is None:
            self.error(line, "level", _("Unknown level “%(value)s”: use %(levels)s.")
                       % {"value": value, "levels": ", ".join(TEMPLATE_LEVELS.values())})
        return level

    def _rank(self, line: int, value: str) -> int | None:
        rank = int(value) if re.fullmatch(r"[0-9]{1,6}", value) else None
        if rank is None or not 1 <= rank <= RANK_MAX:
            self.error(line, "priority_rank", _("Give a whole number from 1 to %(max)s.")
                       % {"max": RANK_MAX})
            return None
        return rank

    def _check_rank_free(self, line: int, sector: Sector, rank: int) -> None:
        used_on = self.ranks.setdefault((sector.pk, rank), line)
        if used_on == 0:
            self.error(line, "priority_rank", _(
                "Rank %(rank)s is already used in this sector of the diagnostic.")
                % {"rank": rank})
        elif used_on != line:
            self.error(line, "priority_rank", _(
                "Rank %(rank)s is already used in this sector on line %(line)s.")
                % {"rank": rank, "line": used_on})


def _sector_lookup() -> dict[str, Sector]:
    """Sectors by normalised code, French and English name (codes win over names)."""
    lookup: dict[str, Sector] = {}
    sectors = list(Sector.objects.select_related("ministry"))
    for sector in sectors:
        lookup[normalize(sector.name_fr)] = sector
        if sector.name_en:
            lookup[normalize(sector.name_en)] = sector
    for sector in sectors:
        lookup[normalize(sector.code)] = sector
    return lookup


def template_csv() -> bytes:
    """The empty grid as CSV (see cooperatives.imports.csv_template)."""
    return imports.csv_template(TEMPLATE_HEADERS)


def template_xlsx() -> bytes:
    """The empty grid as XLSX, with the sectors and levels listed on their own sheets and
    offered as drop-down choices."""
    sectors = list(Sector.objects.select_related("ministry").order_by("code"))
    lists = {
        "secteurs": (["code", "nom", "name", "ministere"], [
            [s.code, s.name_fr, s.name_en, s.ministry.acronym] for s in sectors]),
        "niveaux": (["niveau", "level"], [[TEMPLATE_LEVELS[level], str(label)]
                                          for level, label in Level.choices]),
    }
    choices = [("A", f"secteurs!$A$2:$A${len(sectors) + 1}")] if sectors else []
    words = ",".join(TEMPLATE_LEVELS.values())
    choices.append(("B", f'"{words}"'))
    return imports.xlsx_template("grille", TEMPLATE_HEADERS, lists, choices, MAX_ROWS)
