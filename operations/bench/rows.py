"""The benchmark's rows: one measured figure against its target each, the targets' list,
and the plain-text table `manage.py bench` prints."""

import os
from dataclasses import asdict, dataclass, field

TARGETS = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "HOME", "ACCESS", "SEARCH",
           "EXPORT_CSV", "EXPORT_XLSX", "OPENDATA")
SOAK = "soak"


@dataclass
class Row:
    """One line of the table: a measured figure against its target."""

    id: str
    what: str
    figure: float | None  # None: not measured
    unit: str
    target: float
    compare: str  # "<", "<=", ">=" or "=="
    note: str = ""
    load_average: float | None = None
    details: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        if self.figure is None:
            return None
        return {"<": self.figure < self.target, "<=": self.figure <= self.target,
                ">=": self.figure >= self.target, "==": self.figure == self.target
                }[self.compare]

    @property
    def ratio(self) -> float | None:
        if self.figure is None or not self.target:
            return None
        return self.figure / self.target

    @property
    def result(self) -> str:
        if self.figure is None:
            return "FAIL (not measured)"
        if self.passed:
            return "PASS"
        if self.compare == "==" or not self.target:
            return f"FAIL (off by {self.figure - self.target:g})"
        if self.compare == ">=":
            return f"FAIL ({(1 - self.figure / self.target) * 100:.0f}% short)"
        return f"FAIL ({(self.figure / self.target - 1) * 100:.0f}% over)"

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(passed=self.passed, ratio=self.ratio, result=self.result,
                    figure_text=fmt(self.figure, self.unit),
                    target_text=f"{self.compare} {fmt(self.target, self.unit)}")
        return data


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("", "queries", "errors", "mismatches", "endpoints"):
        return f"{value:g}" + (f" {unit}" if unit else "")
    if unit == "KB":
        return f"{value:.1f} KB"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"


# What each target measures when it could not be: (what, target, unit, comparison).
UNMEASURED = {
    "P1": ("one commune's aggregates: p95 latency", 50, "ms", "<"),
    "P2": ("national aggregates by commune: p95 latency", 150, "ms", "<"),
    "P3": ("endpoints whose queries grow with page size", 0, "endpoints", "=="),
    "P4": ("national recompute, both reports", 30, "s", "<"),
    "P5": ("edit → both commune reports refreshed", 2, "s", "<"),
    "P6": ("national graph metrics: time", 5, "s", "<"),
    "P7": ("pages: server time p95", 200, "ms", "<"),
    "P8": ("CSV import", 5000, "rows/s", ">="),
    "P9": ("burst of edits → every stored figure = a recomputation", 300, "s", "<"),
    "P10": ("aggregates, first request after an edit: p95", 300, "ms", "<"),
    "HOME": ("home page (public), cache warm: server time p95", 10, "ms", "<"),
    "ACCESS": ("access log: added to a page showing personal data", 2, "ms", "<"),
    "SEARCH": ("name search over the whole registry: p95", 50, "ms", "<"),
    "EXPORT_CSV": ("national CSV export as the admin: slowest request", 10, "s", "<"),
    "EXPORT_XLSX": ("national XLSX export as the admin: slowest request", 10, "s", "<"),
    "OPENDATA": ("open-data CSV served as a file: median time", 1000, "ms", "<"),
    SOAK: ("16-client soak: errors", 0, "errors", "=="),
}


def not_measured(target: str, note: str) -> Row:
    what, value, unit, compare = UNMEASURED[target]
    return Row(target, what, None, unit, value, compare, note=note,
               load_average=round(os.getloadavg()[0], 2))


def table(results: dict) -> str:
    """The results as one plain-text table (the same rows as the JSON)."""
    head = ("id", "what", "measured", "target", "ratio", "result")
    lines = [(r["id"], r["what"], r["figure_text"], r["target_text"],
              f"{r['ratio']:.2f}×" if r["ratio"] is not None else "—", r["result"])
             for r in results["rows"]]
    widths = [max(len(str(x)) for x in column) for column in zip(head, *lines, strict=True)]
    widths[1] = min(widths[1], 78)

    def line(values) -> str:
        cells = [str(v)[:w].ljust(w) for v, w in zip(values, widths, strict=True)]
        return " | ".join(cells).rstrip()

    out = [line(head), "-+-".join("-" * w for w in widths)] + [line(v) for v in lines]
    m = results["machine"]
    out.append("")
    out.append(f"{results['dataset']['organisations']:,} organisations, "
               f"{results['dataset']['links']:,} links; {m['nproc']} CPUs, {m['ram_gb']} GB RAM, "
               f"PostgreSQL {m['postgresql']}; load average (1, 5, 15 min) at the start "
               f"{m['load_average']}, at the end {results['load_average_end']}")
    notes = [f"  {r['id']}: {r['note']}" for r in results["rows"] if r["note"]]
    if notes:
        out += ["Notes:"] + notes
    out.append(f"{results['passed']} passed, {results['failed']} failed.")
    return "\n".join(out)
