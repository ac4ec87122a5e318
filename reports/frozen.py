"""The frozen copies of closed years (PRODUCT.md: a past year's report reads the signed-off
snapshot of the year where the commune's year was signed off): the current version of each
closed year's reports and registry snapshot, shared by `compute`, `signoff`, the pages and
the API."""

from django.db.models import F

from .models import FrozenRegistry, FrozenReport, YearSignoff
from .snapshot import aggregates

CLOSED = YearSignoff.State.CLOSED


def _current(kind: str):
    """Frozen reports of the kind that are the current version of a closed year."""
    return FrozenReport.objects.filter(kind=kind, signoff__state=CLOSED,
                                       version=F("signoff__version"))


def frozen_results_of(kind: str, year: int, commune_ids: list[int]) -> dict[int, dict]:
    """Commune id -> the frozen report of those of the communes whose year is closed."""
    return dict(_current(kind).filter(signoff__year=year, signoff__commune_id__in=commune_ids)
                .order_by().values_list("signoff__commune_id", "result"))


def frozen_result(kind: str, commune_id: int, year: int) -> dict | None:
    """The frozen report of the commune's closed year (its current version), or None."""
    return frozen_results_of(kind, year, [commune_id]).get(commune_id)


def frozen_report(kind: str, commune, year: int) -> FrozenReport | None:
    """The frozen report of the commune's closed year (its current version), or None."""
    return (_current(kind).select_related("signoff")
            .filter(signoff__commune=commune, signoff__year=year).first())


def frozen_results(kind: str, year: int) -> dict[str, dict]:
    """P-code -> the frozen report of every commune whose year is closed (current version)."""
    return dict(_current(kind).filter(signoff__year=year).order_by()
                .values_list("signoff__commune__pcode", "result"))


def frozen_registry(commune_id: int, year: int) -> FrozenRegistry | None:
    """The registry snapshot of the commune's closed year (its current version), or None."""
    return (FrozenRegistry.objects.select_related("signoff")
            .filter(signoff__commune_id=commune_id, signoff__year=year,
                    signoff__state=CLOSED, version=F("signoff__version")).first())


def approval_chain(signoff: YearSignoff) -> list[dict]:
    """The steps of the signed-off version, as the API gives them to ministries (which step,
    when and why; no user names)."""
    steps = signoff.steps.filter(version=signoff.version).order_by("id")
    return [{"action": step.action, "state": step.state, "at": step.at, "reason": step.reason}
            for step in steps]


def closed_year_aggregates(commune, year: int, by: str) -> tuple[list[dict], dict] | None:
    """The aggregate rows of the commune's closed year (from its registry snapshot) and what
    the API says of them (`signed_off`, `version`, `day`, `approval_chain`); None when the
    year is not closed."""
    kept = frozen_registry(commune.pk, year)
    if kept is None:
        return None
    return aggregates(kept.organisations, commune, by), {
        "signed_off": True, "version": kept.version, "day": kept.day,
        "approval_chain": approval_chain(kept.signoff)}
