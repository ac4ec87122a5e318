"""Open data of the signed-off years: for each year, one row per commune whose year is closed,
with the figures kept at its closure (its registry snapshot and frozen reports). Aggregate
figures only, no organisation and no person's name; same licence as the registry's dataset."""

from collections.abc import Iterator

from django.db.models import Count, F
from django.utils import timezone

from core import csvsafe

from .models import FrozenRegistry, FrozenReport, YearSignoff
from .snapshot import key_figures

CLOSED = YearSignoff.State.CLOSED
COLUMNS = ("commune_pcode", "commune", "department_pcode", "region_pcode", "year", "version",
           "closed_on", "day", "active_organisations", "members", "women", "youth",
           "counted_links", "linked_organisations", "convergence_score_num",
           "convergence_score_den")


def closed_years() -> list[dict]:
    """`{"year", "communes"}` of every year with at least one closed commune, newest first."""
    return list(YearSignoff.objects.filter(state=CLOSED).values("year")
                .annotate(communes=Count("id")).order_by("-year"))


def is_closed_anywhere(year: int) -> bool:
    return YearSignoff.objects.filter(state=CLOSED, year=year).exists()


def year_rows(year: int) -> Iterator[dict]:
    """One row per commune whose `year` is closed, by P-code (the current version)."""
    registries = (FrozenRegistry.objects.filter(signoff__year=year, signoff__state=CLOSED,
                                                version=F("signoff__version"))
                  .select_related("signoff__commune__department__region")
                  .order_by("signoff__commune__pcode"))
    reports = {(signoff_id, kind): result for signoff_id, kind, result in
               FrozenReport.objects.filter(signoff__year=year, signoff__state=CLOSED,
                                           version=F("signoff__version"))
               .values_list("signoff_id", "kind", "result")}
    closed_on = dict(YearSignoff.objects.filter(year=year, state=CLOSED, steps__action="close")
                     .values_list("id", "steps__at").order_by("steps__id"))
    for kept in registries.iterator(chunk_size=200):
        commune = kept.signoff.commune
        cooperation = reports.get((kept.signoff_id, "cooperation")) or {}
        score = (reports.get((kept.signoff_id, "convergence")) or {}).get("score") or {}
        figures = key_figures(kept.organisations)
        yield {"commune_pcode": commune.pcode, "commune": commune.name,
               "department_pcode": commune.department.pcode,
               "region_pcode": commune.department.region.pcode, "year": year,
               "version": kept.version,
               # The day in Cameroon (the moment is stored in UTC: an hour behind).
               "closed_on": timezone.localdate(closed_on[kept.signoff_id]).isoformat(),
               "day": kept.day.isoformat(), "active_organisations": figures["organisations"],
               "members": figures["members"], "women": figures["women"],
               "youth": figures["youth"], "counted_links": cooperation.get("links"),
               "linked_organisations": cooperation.get("linked_organisations"),
               "convergence_score_num": score.get("num"),
               "convergence_score_den": score.get("den")}


def year_csv(year: int) -> Iterator[str]:
    writer = csvsafe.writer()
    yield writer.writerow(COLUMNS)
    for row in year_rows(year):
        yield writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
