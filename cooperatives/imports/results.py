"""What an import did with each row: the errors (line, column, reason) and, for organisations,
the rows created, updated and left unchanged."""

from dataclasses import dataclass, field


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

