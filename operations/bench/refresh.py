"""P9 (PRODUCT.md), with P5's worker: a burst of 100 edits in 20 communes within a minute,
then the time until every stored figure (both reports, every commune and the country)
equals a recomputation, and how many national runs the burst cost (the debounce coalesces
them)."""

import json
import time

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from communes.models import Commune
from cooperatives.models import Organisation, OrganisationStatus
from cooperatives.services import organisation_update
from reports.compute import compute_national
from reports.models import ReportRun
from reports.runs import NATIONAL, latest_commune_results, latest_done

from .context import Context, add_row, wait_until
from .worker import fail_pending_runs

EDITS, COMMUNES = 100, 20  # edits over Options.burst seconds (60), in that many communes
LIMIT = 300  # seconds: the target
PENDING = (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING)
# Each organisation's five edits leave it as it was, but for one more employee: members up,
# dormant (it leaves the nearest-commune lists), members down, active again, employees up.
STEPS = ({"members_total": 1}, {"status": OrganisationStatus.DORMANT}, {"members_total": -1},
         {"status": OrganisationStatus.ACTIVE}, {"employees": 1})


def measure_p5_burst(ctx: Context, worker: bool) -> None:
    organisations = _one_active_organisation_per_commune(ctx)
    fail_pending_runs()
    first = (ReportRun.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    last_commit = _burst(ctx, organisations)
    fresh_at, mismatches = _until_fresh(ctx.year, last_commit)
    national = ReportRun.objects.filter(id__gte=first, scope=NATIONAL).count()
    seconds = (fresh_at - last_commit).total_seconds() if fresh_at else None
    where = "worker -c 2" if worker else "in-process (no REDIS_URL)"
    note = (f"{len(organisations)} communes, edits over {ctx.options.burst:.0f} s, {where}"
            + (f"; {mismatches} stored reports differ from a recomputation after {LIMIT} s"
               if fresh_at is None else ""))
    details = {"communes": len(organisations), "edits": EDITS, "national_runs": national,
               "mismatches": mismatches}
    add_row(ctx, "P9", f"burst of {EDITS} edits → every stored figure = a recomputation "
            "(from the last edit)", seconds, "s", LIMIT, "<", note=note, details=details)
    add_row(ctx, "P9", "national runs the burst cost (both kinds)", national, "", 4, "<=",
            details=details)


def _one_active_organisation_per_commune(ctx: Context) -> list[Organisation]:
    chosen = []
    for commune in ctx.communes[:COMMUNES]:
        organisation = (Organisation.objects.filter(commune=commune,
                                                    status=OrganisationStatus.ACTIVE)
                        .order_by("id").first())
        if organisation is not None:
            chosen.append(organisation)
    return chosen


def _burst(ctx: Context, organisations: list[Organisation]):
    """The edits, evenly spread over the burst's seconds; the moment the last one committed."""
    committed = []
    started = time.monotonic()
    for n in range(EDITS):
        organisation = organisations[n % len(organisations)]
        organisation.refresh_from_db()
        step = STEPS[(n // len(organisations)) % len(STEPS)]
        fields = {name: value if name == "status" else getattr(organisation, name) + value
                  for name, value in step.items()}
        with transaction.atomic():
            transaction.on_commit(lambda: committed.append(timezone.now()))
            organisation_update(user=ctx.admin, organisation=organisation, **fields)
        time.sleep(max(0.0, started + ctx.options.burst * (n + 1) / EDITS - time.monotonic()))
    return committed[-1]


def _until_fresh(year: int, since) -> tuple:
    """Wait until no run of the year is pending and every stored report equals a national
    recomputation; (the finished_at of the last run by then, 0) or (None, mismatches)."""
    deadline = time.monotonic() + LIMIT
    pending = ReportRun.objects.filter(year=year, status__in=PENDING)
    mismatches = -1
    while time.monotonic() < deadline:
        if not wait_until(lambda: not pending.exists(), deadline - time.monotonic(), 0.5):
            break
        mismatches = stale_reports(year)
        if not mismatches and not pending.exists():
            last = ReportRun.objects.filter(year=year, finished_at__gte=since).aggregate(
                m=Max("finished_at"))["m"]
            return last or since, 0
        time.sleep(1)
    return None, mismatches


def stale_reports(year: int) -> int:
    """How many stored reports of the year (national and per commune, both kinds) differ
    from a recomputation now."""
    stale, ids = 0, dict(Commune.objects.values_list("pcode", "pk"))
    for kind in ReportRun.Kind.values:
        fresh = json.loads(json.dumps(compute_national(kind, year)))
        national = latest_done(kind, year=year)
        stale += national is None or national.result != fresh
        stored = latest_commune_results(kind, year)
        stale += sum(stored.get(ids.get(pcode)) != report
                     for pcode, report in fresh["communes"].items())
    return stale
