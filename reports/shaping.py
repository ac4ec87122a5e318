"""Shaping stored results for display: ratios and the pre-rendered rows of national tables."""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .territory import Place

MAP_BANDS = 5  # colour bands of a ratio on the map: 0-20 %, ..., 80-100 %


@dataclass(frozen=True)
class Ratio:
    """A stored `{"num", "den"}` fraction, with its percentage for display."""

    num: int
    den: int

    @classmethod
    def of(cls, value) -> "Ratio | None":
        if not isinstance(value, dict) or not value.get("den"):
            return None
        return cls(int(value["num"]), int(value["den"]))

    @property
    def percent(self) -> float:
        return 100 * self.num / self.den

    def band(self) -> int:
        """0 to MAP_BANDS - 1: which fifth of 0-100 % the ratio falls in (100 % in the last)."""
        return min(int(self.percent * MAP_BANDS / 100), MAP_BANDS - 1)


def percent_text(ratio: "Ratio | None", decimals: int = 0) -> str:
    return f"{number_format(ratio.percent, decimals)} %" if ratio else "–"


def table_rows(places: list[Place], cells: dict[str, str], href: str) -> SafeString:
    """`<tr>` rows: a commune link then its pre-rendered cells.

    Built in Python, not in the template: a national table has 360 rows of a dozen cells,
    which Django templates render ten times slower (P7: pages < 200 ms)."""
    return mark_safe("".join(  # noqa: S308 - names escaped, cells built from numbers
        f'<tr><th scope="row"><a href="{href}{p.pcode}/">{escape(p.name)}</a></th>'
        f"{cells[p.pcode]}</tr>" for p in places if p.pcode in cells))


def num_cell(value) -> str:
    return f'<td class="num">{int(value or 0)}</td>'



@dataclass(frozen=True)
class Sort:
    """A national table's `?sort=`: a column name, `-name` for the highest first."""

    column: str
    descending: bool

    @classmethod
    def parse(cls, value: str | None, columns: tuple[str, ...]) -> "Sort | None":
        """The sort asked for among `columns`; None (the territory's order) for anything
        else: like the region and department filters, an unknown value is ignored."""
        value = (value or "").strip()
        column = value.removeprefix("-")
        return cls(column, value.startswith("-")) if column in columns else None

    def order(self, places: list[Place], ratios: dict[str, "Ratio | None"]) -> list[Place]:
        """`places` by their ratio (communes without one last, whatever the direction),
        ties in the territory's order."""
        def key(place: Place) -> tuple:
            ratio = ratios.get(place.pcode)
            if ratio is None:
                return (1, 0)
            value = ratio.num / ratio.den
            return (0, -value if self.descending else value)
        return sorted(places, key=key)  # stable: ties keep the territory's order

    def link(self, column: str) -> str:
        """The `sort` value of the column's header link: highest first, then the reverse."""
        return column if self.column == column and self.descending else f"-{column}"


NO_SORT = Sort("", False)  # the territory's order; its header links ask for the highest first


def split_by_data(places: list[Place], with_data: set[str]) -> tuple[list[Place], list[Place]]:
    """(places with data, places without), each in the given order."""
    return ([p for p in places if p.pcode in with_data],
            [p for p in places if p.pcode not in with_data])
