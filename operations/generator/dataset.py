"""Seeded synthetic dataset for demos, tests and the benchmark (the demo accounts: demo.py).

`generate_dataset(scale=..., seed=...)` fills the selected communes with organisations (their
filières and registry events), cooperation links, a RELESS with its bureau, a validated PCD
diagnostic, ministries' interventions and support programmes with their enrolments. It reads
the territory and the taxonomy already in the database and imports no reference data itself.

Deterministic: every draw comes from a `random.Random` seeded with the seed, the phase and the
commune P-code, and every query is ordered, so one seed gives the same rows and values (ids
included, on a database holding the same rows beforehand). Rows are built commune by commune and
written in bulk with ids assigned here: COPY on PostgreSQL for the big tables, bulk_create
elsewhere. Bulk writes fire no signals and django-simple-history records nothing by itself:
`history` writes the audit history of every generated row as rows too (dated in past years,
so past-year reports have a registry to rebuild), from a random stream of its own.

The people, phones and e-mails are invented, but the platform must treat them as personal data.
"""

import time as clock
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, transaction

from communes.models import Commune
from cooperatives import freshness, search_words, summaries
from cooperatives.models import (
    BureauMember,
    ContactConsent,
    CooperationLink,
    Organisation,
    OrganisationFiliere,
    OrganisationLabel,
    ProjectTerritory,
    RegistryEvent,
    Reless,
    VerificationVisit,
)
from core.bulk import BulkWriter
from diagnostics.models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)
from support.models import Enrolment, Programme

from .history import HistoryBuilder
from .interventions import BENEFICIARY, InterventionBuilder
from .links import LinkBuilder
from .organisations import OrganisationBuilder
from .pcd import DiagnosticBuilder
from .reless import RelessBuilder
from .selection import SCALES, DatasetError, Plan, Scale, allocate, select_communes
from .support import PROGRAMME_COMMUNE, SupportBuilder
from .taxonomy import Taxonomy
from .territories import add_territories
from .world import World

# The tables written with COPY on PostgreSQL (the others are small: bulk_create).
ORGANISATION_COLUMNS = [
    "id", "name", "acronym", "legal_form", "rsc_number", "rsc_date", "ues_number", "commune_id",
    "locality", "primary_filiere_id", "status", "members_total", "members_women",
    "members_youth", "employees", "share_capital", "reless_member_since", "parent_union_id",
    "converted_from_gic_id", "contact_name", "contact_phone", "contact_email",
    "contact_consent", "description", "latitude", "longitude", "created_at", "updated_at",
    "niu", "member_interest", "worker_members", "producer_members", "last_verified_on",
    "last_verification_outcome"]
COLUMNS = [
    (Organisation, ORGANISATION_COLUMNS),
    (OrganisationFiliere, ["id", "organisation_id", "filiere_id"]),
    (ContactConsent, ["id", "organisation_id", "purpose", "method", "given_on",
                      "document_reference", "note", "recorded_by_id", "recorded_at"]),
    (RegistryEvent, ["id", "organisation_id", "kind", "date", "reference", "note"]),
    (VerificationVisit, ["id", "organisation_id", "visited_on", "outcome", "new_locality",
                         "latitude", "longitude", "note", "visited_by_id", "recorded_at"]),
    (OrganisationLabel, ["id", "organisation_id", "kind", "name", "certifier", "number",
                         "valid_from", "valid_until", "created_at"]),
    (CooperationLink, ["id", "source_id", "target_id", "kind", "status", "source_confirmed",
                       "target_confirmed", "start_date", "end_date", "note", "created_at"]),
    (Reless, ["id", "commune_id", "name", "founded_on", "status"]),
    (BureauMember, ["id", "reless_id", "person_name", "office", "organisation_id",
                    "mandate_start", "mandate_end"]),
    (TerritorialDiagnostic, ["id", "commune_id", "year", "source", "status", "validated_at",
                             "created_at"]),
    (DiagnosticEntry, ["id", "diagnostic_id", "sector_id", "level", "locality", "problem",
                       "potentials", "need", "priority_rank"]),
    (ProjectIdea, ["id", "diagnostic_id", "sector_id", "title", "locality", "cost_estimate",
                   "rank", "year", "status"]),
    (DiagnosticActor, ["id", "diagnostic_id", "name", "kind", "sector_id", "role"]),
    (TerritorialResource, ["id", "diagnostic_id", "kind", "description"]),
    (Intervention, ["id", "ministry_id", "commune_id", "programme", "filiere_id", "sector_id",
                    "start_date", "end_date", "budget", "created_at"]),
    (BENEFICIARY, ["id", "intervention_id", "organisation_id"]),
    (Programme, ["id", "name", "owner_type", "ministry_id", "owner_commune_id", "partner",
                 "kind", "start_date", "end_date", "budget", "description", "created_at"]),
    (PROGRAMME_COMMUNE, ["id", "programme_id", "commune_id"]),
    (Enrolment, ["id", "programme_id", "organisation_id", "start_date", "end_date", "outcome",
                 "note", "created_at"]),
]


class Generator:
    """One run: the plan, then the builders phase by phase, flushing the sink between
    phases (links read the organisations' boxes, interventions the links' communes)."""

    def __init__(self, *, scale: Scale, seed: int, communes: list[Commune], taxonomy: Taxonomy,
                 progress: Callable[[str], None] | None = None):
        self.scale, self.communes = scale, communes
        self.progress = progress or (lambda message: None)
        self.sink = BulkWriter(batch_size=2000)
        for model, columns in COLUMNS:  # generated values are loose (a float for a bigint)
            self.sink.declare(model, columns, convert=True)
        self.world = World.start(seed=seed, communes=communes, tax=taxonomy, sink=self.sink,
                                 models=[model for model, _ in COLUMNS])
        self.organisations = OrganisationBuilder(self.world)
        self.links = LinkBuilder(self.world)
        self.reless = RelessBuilder(self.world)
        self.diagnostics = DiagnosticBuilder(self.world)
        self.interventions = InterventionBuilder(self.world)
        self.support = SupportBuilder(self.world)
        self.history = HistoryBuilder(self.world, COLUMNS)  # declared last: flushed last

    def run(self) -> Counter:
        plan, started = self.plan(), clock.monotonic()
        for commune in self.communes:
            self.reless.plan_reless(commune)
        self.organisations.add_federations()
        for commune, n in zip(self.communes, plan.organisations, strict=True):
            self.organisations.add_organisations(commune, n)
            self._maybe_flush()
        self._flush()
        self.organisations.count_federation_unions()
        self.history.record_federation_members(self.organisations.federations)
        self._done("organisations, filières, registry events", started)
        for commune, n in zip(self.communes, plan.links, strict=True):
            self.links.add_links(commune, n)
            self._maybe_flush()
        self._flush()
        self._done("cooperation links", started)
        for i, commune in enumerate(self.communes):
            self.reless.add_reless(commune)
            self.diagnostics.add_diagnostic(commune, plan.entries[i])
            self.interventions.add_interventions(commune, plan.interventions[i])
            self._maybe_flush()
        self.support.add_programmes(self.communes)
        self._flush()
        self.reset_sequences()
        self._done("RELESS, diagnostics, interventions, support programmes", started)
        return self.sink.written

    def _done(self, phase: str, started: float) -> None:
        self.progress(f"  {phase} written at {clock.monotonic() - started:.1f} s")

    def _maybe_flush(self) -> None:
        if self.sink.buffered() >= 50_000:
            self._flush()

    def _flush(self) -> None:
        """The history of the buffered rows, then every row written."""
        self.history.record()
        self.sink.flush()

    def plan(self) -> Plan:
        rng, n, scale = self.world.rng("plan"), len(self.communes), self.scale
        factor = n if scale.per_commune else 1
        size = [rng.lognormvariate(0, 0.45) for _ in self.communes]
        orgs = allocate(scale.organisations * factor, size, scale.min_organisations)
        return Plan(
            organisations=orgs,
            links=allocate(scale.links * factor, orgs),
            entries=allocate(scale.entries * factor, [rng.uniform(0.7, 1.3) for _ in range(n)]),
            interventions=allocate(scale.interventions * factor,
                                   [s * rng.uniform(0.6, 1.4) for s in size]))

    def models(self) -> list[type]:
        """The tables written: the registry's and their history."""
        return [model for model, _ in COLUMNS] + self.history.models

    def reset_sequences(self) -> None:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models()):
                cursor.execute(sql)


# ---------------------------------------------------------------------------------------------
# Entry point


@dataclass
class GenerationResult:
    communes: list[Commune]
    counts: dict[str, int] = field(default_factory=dict)  # model label -> rows written
    skipped: bool = False
    message: str = ""


def generate_dataset(*, scale: str, seed: int, pcodes: list[str] | None = None,
                     progress: Callable[[str], None] | None = None) -> GenerationResult:
    """Generate the dataset of `scale` for `seed` in the selected communes (see
    `select_communes`), in one transaction. Does nothing when any of them already holds
    organisations, so a second run is a no-op. `progress` receives a line per phase.

    Scales: tiny and demo give each selected commune about 30 (75) organisations, 75 (200)
    links, 20 (40) diagnostic entries and 5 (12) interventions; national spreads 200,000
    organisations, 1,000,000 links, 50,000 entries and 20,000 interventions over them."""
    if scale not in SCALES:
        raise DatasetError(f"Unknown scale {scale!r}: choose one of {', '.join(SCALES)}.")
    communes = select_communes(scale, pcodes)
    if not communes:
        raise DatasetError("No communes in the database: run `manage.py import_ocha` first.")
    taken = (Organisation.objects.filter(commune__in=communes).values("commune_id")
             .distinct().count())
    if taken:
        return GenerationResult(communes, skipped=True, message=(
            f"{taken} of the {len(communes)} selected communes already hold organisations: "
            "nothing generated."))
    taxonomy = Taxonomy.load()
    with transaction.atomic():
        generator = Generator(scale=SCALES[scale], seed=seed, communes=communes,
                              taxonomy=taxonomy, progress=progress)
        written = generator.run()
        territories = add_territories(communes, seed)
    freshness.renew_all()  # bulk rows send no signals: retire every cached figure
    summaries.mark_all()  # ... and every aggregate summary, computed again below
    if connection.vendor == "postgresql":
        # VACUUM marks the new pages all-visible (index-only counts read no table pages) even
        # where autovacuum is off; it cannot run inside a transaction (tests), ANALYZE can.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            search_words.index_pending()  # the new organisations' words, before analysing
            tables = [model._meta.db_table for model in generator.models()]
            for table in [*tables, *search_words.index_tables(connection)]:
                cursor.execute(f"{command} {connection.ops.quote_name(table)}")
    summaries.refresh()  # the first national figures then read summaries, not every row
    counts = {model._meta.label: written[model]
              for model in generator.models() if written[model]}
    if territories:
        counts[ProjectTerritory._meta.label] = territories
    return GenerationResult(communes, counts)

