"""The dataset the benchmark measures: reused when present, generated when missing.

`--fraction` generates a scaled copy of the national dataset (every national figure times
the fraction, same seed and communes) into an empty database, to see how each cost grows.
"""

import io
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Q

from communes.models import Commune
from cooperatives.models import CooperationLink, Organisation, OrganisationStatus
from diagnostics.models import DiagnosticEntry, Intervention
from operations.generator.dataset import generate_dataset
from operations.generator.selection import SCALES, select_communes
from sectors.models import Ministry

NATIONAL = "national"
SEED = 1


class BenchError(Exception):
    """The benchmark cannot run as asked (wrong database, inconsistent dataset...)."""


@dataclass(frozen=True)
class DatasetInfo:
    scale: str
    fraction: float
    generated: bool
    generation_seconds: float | None
    communes: int
    communes_with_organisations: int
    organisations: int
    active_organisations: int
    links: int
    diagnostic_entries: int
    interventions: int

    def as_dict(self) -> dict:
        return asdict(self)


def check_database() -> None:
    """PostgreSQL only: the targets are defined on it, and SQLite has no concurrent writers."""
    if connection.vendor != "postgresql":
        raise BenchError(
            f"The benchmark runs on PostgreSQL only (this database is {connection.vendor}). "
            "Set DATABASE_URL=postgres://user@127.0.0.1:5432/name and run it again.")


def migrate_if_needed(say: Callable[[str], None]) -> None:
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        say("Applying migrations...")
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())


def ensure_reference_data(say: Callable[[str], None]) -> None:
    """Taxonomy and territory, as `setup_platform` loads them (idempotent)."""
    if Ministry.objects.exists() and Commune.objects.exists():
        return
    say("Loading the taxonomy and the territory (setup_platform)...")
    call_command("setup_platform", verbosity=0, stdout=io.StringIO())
    if not Commune.objects.exists():
        raise BenchError("No communes in the database and no OCHA tables to load them from: "
                         "run `manage.py import_ocha` or set RELESS_REFERENCE_DIR.")


def scaled_national(fraction: float):
    """The national scale times `fraction` (every commune still gets its share)."""
    base = SCALES[NATIONAL]
    return replace(base, organisations=round(base.organisations * fraction),
                   links=round(base.links * fraction), entries=round(base.entries * fraction),
                   interventions=round(base.interventions * fraction),
                   min_organisations=max(6, round(base.min_organisations * fraction)))


def ensure_dataset(scale: str, fraction: float, say: Callable[[str], None]) -> DatasetInfo:
    """Reuse the dataset of the selected communes, or generate it (seed 1)."""
    migrate_if_needed(say)
    ensure_reference_data(say)
    communes = select_communes(scale)
    filled = Organisation.objects.filter(commune__in=communes).values("commune_id").distinct()
    started, generated = time.monotonic(), False
    if filled.count():
        say(f"Reusing the {scale} dataset already in the database "
            f"({filled.count()} of {len(communes)} communes hold organisations).")
    else:
        generated = True
        name = scale
        if scale == NATIONAL and fraction != 1:
            # The generator knows scales by name: lend it a scaled copy of the national one.
            name = f"national-x{fraction:g}"
            SCALES[name] = scaled_national(fraction)
        say(f"Generating the {name} dataset (seed {SEED}); national takes several minutes...")
        try:
            result = generate_dataset(
                scale=name, seed=SEED, pcodes=[c.pcode for c in communes],
                progress=lambda line: say(line.strip()))
        finally:
            SCALES.pop(f"national-x{fraction:g}", None)
        if result.skipped:
            raise BenchError(result.message)
    info = describe(scale, fraction, generated,
                    time.monotonic() - started if generated else None)
    if scale == NATIONAL and not generated:
        expected = scaled_national(fraction).organisations
        if not 0.9 * expected <= info.organisations <= 1.2 * expected:
            say(f"Note: {info.organisations:,} organisations, not the {expected:,} of this "
                "fraction: the figures are for the dataset found.")
    return info


def describe(scale: str, fraction: float, generated: bool, seconds: float | None) -> DatasetInfo:
    orgs = Organisation.objects.aggregate(
        n=Count("id"), active=Count("id", filter=_active()))
    return DatasetInfo(
        scale=scale, fraction=fraction, generated=generated,
        generation_seconds=round(seconds, 1) if seconds is not None else None,
        communes=Commune.objects.count(),
        communes_with_organisations=Organisation.objects.values("commune_id").distinct().count(),
        organisations=orgs["n"], active_organisations=orgs["active"],
        links=CooperationLink.objects.count(), diagnostic_entries=DiagnosticEntry.objects.count(),
        interventions=Intervention.objects.count())


def _active():
    return Q(status=OrganisationStatus.ACTIVE)


def bench_communes() -> list[Commune]:
    """Communes holding organisations, largest first (ties by P-code)."""
    return list(Commune.objects.defer("boundary").annotate(n=Count("organisations"))
                .filter(n__gt=0).order_by("-n", "pcode"))
