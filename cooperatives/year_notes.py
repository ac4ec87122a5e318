"""What the commune dashboard says about the yearly sign-off: the years returned to the agent
(who returned them, when and why) and where the commune's previous year stands.

The sign-off lives in `reports` (it spans the registry, diagnostics and reports), above this
app: it hands its reading down at start-up (`ReportsConfig.ready`), so nothing here imports it.
"""

from collections.abc import Callable, Iterable

from communes.models import Commune

# (the dashboard's commune, the ids of the communes whose returned years concern the viewer)
# -> {"returned": [the last step of each returned year], "latest": a sentence or ""}
YearNotes = Callable[[Commune, Iterable[int]], dict]


def _no_notes(commune: Commune, commune_ids: Iterable[int]) -> dict:
    return {"returned": [], "latest": ""}


_year_notes: YearNotes = _no_notes


def provide_year_notes(notes: YearNotes) -> None:
    global _year_notes
    _year_notes = notes


def year_notes(commune: Commune, commune_ids: Iterable[int]) -> dict:
    """The returned years of the commune and of `commune_ids` (the viewer's other communes),
    and the state of the commune's previous year, in one query."""
    return _year_notes(commune, commune_ids)
