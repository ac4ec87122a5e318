"""The audit history of the generated rows, so that a past year's registry can be rebuilt
(PRODUCT.md, "The two reports": the latest history record on or before the day).

Every generated row gets django-simple-history records written as rows through the run's
bulk writer, just before each flush, from the rows waiting in it: a creation record ('+') dated
when the row came into the registry, then dated changes ('~'). Organisations are created
(on their RSC registration, before joining the RELESS, otherwise on a day of the last six
years), some start "in creation", grow (members, women, youth; filières added), join the
RELESS, fall dormant or are dissolved (on the day of their dissolution event, or when a SCOOPS
took over their GIC); links are proposed, confirmed shortly before they start and ended on
their end date; a RELESS is founded in creation then becomes active; a diagnostic is drafted
then validated. The last record of every row holds the row's values as written.

The draws come from a stream of their own (`World.rng("history")`), and history ids from
counters of their own: the registry's rows are the same with or without their history.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Max
from simple_history.models import HistoricalRecords

from cooperatives.models import (
    BureauMember,
    CooperationLink,
    LegalForm,
    LinkStatus,
    Organisation,
    OrganisationFiliere,
    OrganisationLabel,
    OrganisationStatus,
    RegistryEvent,
    Reless,
)
from diagnostics.models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)

from .organisations import MEMBERS
from .world import LAST_DAY, World, draw_day, draw_recent_day

HISTORY_FROM = date(2020, 1, 1)  # a row with no date of its own came in since then
REASON = "generated"
TRAILER = ["history_id", "history_date", "history_change_reason", "history_type",
           "history_user_id"]
HISTORICAL_FILIERES = HistoricalRecords.m2m_models[Organisation._meta.get_field("filieres")]
HISTORICAL_BENEFICIARIES = HistoricalRecords.m2m_models[
    Intervention._meta.get_field("beneficiaries")]
M2M_COLUMNS = {
    HISTORICAL_FILIERES: ["m2m_history_id", "id", "organisation_id", "filiere_id", "history_id"],
    HISTORICAL_BENEFICIARIES: ["m2m_history_id", "id", "intervention_id", "organisation_id",
                               "history_id"]}
# Rows recorded with their diagnostic (one creation record on the diagnostic's day).
DIAGNOSTIC_PARTS = (DiagnosticEntry, ProjectIdea, DiagnosticActor, TerritorialResource)


class HistoryBuilder:
    """The history records of the rows the run's sink holds (see the module)."""

    def __init__(self, world: World, columns: list[tuple[type, list[str]]]):
        self.sink = world.sink
        self.rng = world.rng("history")
        self.columns: dict[type, list[str]] = {}  # model -> its generated columns
        # model -> its history model (read once: `Model.history` builds a manager each time)
        self.historical: dict[type, type] = {}
        self.kept: dict[type, list[int]] = {}  # model -> positions its history keeps
        # No field conversion (the fast path; converting cost more than building the records):
        # the values are the generated rows' own, each already of its column's type.
        for model, names in columns:
            if not hasattr(model, "history"):
                continue
            history = self.historical[model] = model.history.model
            recorded = {f.attname for f in history._meta.concrete_fields}
            self.columns[model] = names
            self.kept[model] = [i for i, name in enumerate(names) if name in recorded]
            self.sink.declare(history, [names[i] for i in self.kept[model]] + TRAILER,
                              convert=False)
        for model, names in M2M_COLUMNS.items():
            self.sink.declare(model, names, convert=False)
        self.models = list(self.historical.values()) + list(M2M_COLUMNS)
        self.next_id = {model: (model.objects.aggregate(m=Max(model._meta.pk.attname))["m"]
                                or 0) + 1 for model in self.models}
        self.created: dict[int, int] = {}  # organisation id -> day (ordinal) it came in
        self.federations: dict[int, tuple] = {}  # id -> (record, day, filières, last join)

    # The run's hooks -----------------------------------------------------------------------

    def record(self) -> None:
        """Add the history of every row waiting in the sink (call just before its flush)."""
        rows = self.sink.rows
        self.record_organisations(rows[Organisation], rows[OrganisationFiliere],
                                  rows[RegistryEvent])
        for row in rows[RegistryEvent]:
            self.add(RegistryEvent, row, self.moment(self.value(RegistryEvent, row, "date")))
        for row in rows[CooperationLink]:
            self.record_link(row)
        for row in rows[Reless]:
            self.record_reless(row)
        for row in rows[BureauMember]:
            self.add(BureauMember, row, self.moment(self.value(BureauMember, row,
                                                               "mandate_start")))
        self.record_diagnostics(rows)
        self.record_interventions(rows[Intervention], rows[Intervention.beneficiaries.through])
        for row in rows[OrganisationLabel]:
            self.add(OrganisationLabel, row, self.moment(
                self.value(OrganisationLabel, row, "valid_from")))

    def record_federation_members(self, federations: dict[str, list[list]]) -> None:
        """A federation's members are its unions, counted once they are all written: one
        more record, on the day its last union joined."""
        position = self.columns[Organisation].index("members_total")
        for region in federations.values():
            for pk, _, _, unions in region:
                record, day, filieres, joined = self.federations.pop(pk)
                if unions:
                    row = list(record)
                    row[self.kept[Organisation].index(position)] = unions
                    self.add_record(Organisation, row, self.moment(max(day, joined)), "~",
                                    filieres)

    # Organisations ---------------------------------------------------------------------------

    def record_organisations(self, rows: list[tuple], filieres: list[tuple],
                             events: list[tuple]) -> None:
        """Two passes: the day each organisation came in (its union's and GIC's days are
        needed by the others), then its records."""
        by_organisation: dict[int, list[tuple[int, int]]] = {}
        for pk, organisation, filiere in filieres:
            by_organisation.setdefault(organisation, []).append((pk, filiere))
        dissolved = {row[1]: row[3] for row in events
                     if row[2] == RegistryEvent.Kind.DISSOLUTION}
        col = {name: i for i, name in enumerate(self.columns[Organisation])}
        converted = {row[col["converted_from_gic_id"]]: row[col["rsc_date"]] for row in rows
                     if row[col["converted_from_gic_id"]]}
        ends = {}
        for row in rows:
            pk = row[col["id"]]
            end = dissolved.get(pk) or converted.get(pk)
            self.created[pk] = self.creation_day(row, col, end).toordinal()
            ends[pk] = end
        for row in rows:
            self.record_organisation(row, col, by_organisation[row[col["id"]]],
                                     ends[row[col["id"]]])

    def creation_day(self, row: tuple, col: dict, end: date | None) -> date:
        """The RSC registration, else a day of the last six years (the last year and a half
        for one still in creation); never after it joined the RELESS or was dissolved."""
        rng, status = self.rng, row[col["status"]]
        if row[col["rsc_date"]]:
            day = row[col["rsc_date"]]
        elif status == OrganisationStatus.IN_CREATION:
            day = draw_day(rng, LAST_DAY - timedelta(days=540), LAST_DAY)
        else:
            day = draw_recent_day(rng, HISTORY_FROM, LAST_DAY)
        if row[col["reless_member_since"]]:
            day = min(day, row[col["reless_member_since"]])
        if status == OrganisationStatus.DISSOLVED:
            end = end or LAST_DAY
            if day >= end:
                day = max(date(2012, 1, 1), end - timedelta(days=rng.randint(180, 1500)))
        return day

    def record_organisation(self, row: tuple, col: dict, filieres: list[tuple[int, int]],
                            end: date | None) -> None:
        pk, rng = row[col["id"]], self.rng
        born = date.fromordinal(self.created[pk])
        initial: dict[str, object] = {}
        steps: list[tuple[date, dict]] = []  # (day, the fields it sets)
        last = self.record_status(row[col["status"]], born, end, row[col["rsc_date"]], initial,
                                  steps)
        since = row[col["reless_member_since"]]
        if since and since > born:
            initial["reless_member_since"] = None
            steps.append((since, {"reless_member_since": since}))
        for name in ("parent_union_id", "converted_from_gic_id"):
            other = row[col[name]]
            if other and other in self.created and self.created[other] > born.toordinal():
                initial[name] = None  # the union it joined came in after it
                steps.append((date.fromordinal(self.created[other]), {name: other}))
        self.record_growth(row, col, born, last, initial, steps)
        final = [filiere for _, filiere in filieres]
        if len(filieres) > 1 and rng.random() < 0.4:
            initial["filieres"] = final[:1]
            steps.append((draw_day(rng, born, last), {"filieres": final}))
        self.write_states(row, col, filieres, born, initial, steps)

    def record_status(self, status: str, born: date, end: date | None, registered: date | None,
                      initial: dict, steps: list) -> date:
        """Dissolved on `end` (else a day drawn), dormant since a day drawn; some active ones
        started in creation. Returns the last day it changed on."""
        rng = self.rng
        if status == OrganisationStatus.DISSOLVED:
            day = end or draw_day(rng, born + timedelta(days=180), LAST_DAY)
        elif status == OrganisationStatus.DORMANT:
            day = draw_day(rng, born + timedelta(days=365), LAST_DAY)
        elif status == OrganisationStatus.ACTIVE and not registered and rng.random() < 0.3:
            initial["status"] = OrganisationStatus.IN_CREATION
            steps.append((draw_day(rng, born + timedelta(days=30), born + timedelta(days=400)),
                          {"status": status}))
            return LAST_DAY
        else:
            return LAST_DAY
        initial["status"] = OrganisationStatus.ACTIVE
        steps.append((day, {"status": status}))
        return max(born, min(day, LAST_DAY))

    def record_growth(self, row: tuple, col: dict, born: date, last: date, initial: dict,
                      steps: list) -> None:
        """Most cooperatives, GICs and associations grew: members (women, youth, worker- and
        producer-members in the same shares) from 55-90 % of today's, in one or two steps."""
        form, total = row[col["legal_form"]], row[col["members_total"]]
        minimum = MEMBERS.get(form, (None,))[0]
        if (minimum is None or total <= minimum or row[col["status"]] ==
                OrganisationStatus.IN_CREATION or self.rng.random() > 0.7):
            return
        rng = self.rng
        shared = ("members_women", "members_youth", "worker_members", "producer_members")
        now = {name: row[col[name]] for name in shared}
        shares = sorted(rng.uniform(0.55, 0.95) for _ in range(rng.choice((1, 2))))
        days = sorted(draw_day(rng, born, last) for _ in shares)
        for i, share in enumerate(shares):
            members = max(minimum, round(total * share))
            counts = {"members_total": members,
                      **{name: value * members // total for name, value in now.items()}}
            if i == 0:
                initial.update(counts)
            else:
                steps.append((days[i - 1], counts))
        steps.append((days[-1], {"members_total": total, **now}))

    def write_states(self, row: tuple, col: dict, filieres: list[tuple[int, int]], born: date,
                     initial: dict, steps: list) -> None:
        """One record on the day it came in, one on each later day something changed: the
        state of each day is the initial values with every step up to that day applied, so
        the last one is the row itself."""
        state = dict(initial)
        steps = sorted(((max(born, min(day, LAST_DAY)), fields) for day, fields in steps),
                       key=lambda step: step[0])
        days = sorted({born, *(day for day, _ in steps)})
        record, applied = list(row), 0
        for n, day in enumerate(days):
            while applied < len(steps) and steps[applied][0] <= day:
                state.update(steps[applied][1])
                applied += 1
            record = list(row)
            for name, value in state.items():
                if name != "filieres":
                    record[col[name]] = value
            kept = [record[i] for i in self.kept[Organisation]]
            chosen = set(state.get("filieres", [f for _, f in filieres]))
            these = [(pk, f) for pk, f in filieres if f in chosen]
            self.add_record(Organisation, kept, self.moment(day), "~" if n else "+", these)
        if row[col["legal_form"]] == LegalForm.FEDERATION:
            self.federations[row[col["id"]]] = (kept, days[-1], these, days[-1])
        parent = row[col["parent_union_id"]]
        if parent in self.federations:
            fed = self.federations[parent]
            self.federations[parent] = (*fed[:3], max(fed[3], born))

    # Links, RELESS, diagnostics, interventions -------------------------------------------------

    def record_link(self, row: tuple) -> None:
        """Proposed once both ends are in the registry (up to four months before it
        starts), confirmed by the partner up to a month before it starts but at least a day
        after the proposal (later when it started before both ends were recorded), ended on
        its end date."""
        rng, col = self.rng, {n: i for i, n in enumerate(self.columns[CooperationLink])}
        status, start, end = row[col["status"]], row[col["start_date"]], row[col["end_date"]]
        earliest = date.fromordinal(max(self.created[row[col["source_id"]]],
                                        self.created[row[col["target_id"]]]))
        proposed = (max(earliest, start - timedelta(days=rng.randint(0, 120))) if start
                    else draw_recent_day(rng, earliest, LAST_DAY))
        states = [(proposed, {"status": LinkStatus.PROPOSED, "target_confirmed": False,
                              "end_date": None})]
        if status != LinkStatus.PROPOSED:
            confirmed = max(proposed + timedelta(days=rng.randint(1, 45)),
                            start - timedelta(days=rng.randint(0, 30)))
            states.append((confirmed, {"status": LinkStatus.CONFIRMED, "end_date": None}))
        if status == LinkStatus.ENDED:
            states.append((end, {}))
        self.write_steps(CooperationLink, row, col, states)

    def record_reless(self, row: tuple) -> None:
        """Founded in creation; active within about a year; dormant later."""
        rng, col = self.rng, {n: i for i, n in enumerate(self.columns[Reless])}
        founded, status = row[col["founded_on"]], row[col["status"]]
        states = [(founded, {"status": Reless.Status.IN_CREATION})]
        if status != Reless.Status.IN_CREATION:
            active = draw_day(rng, founded + timedelta(days=60), founded + timedelta(days=400))
            states.append((active, {"status": Reless.Status.ACTIVE}))
        if status == Reless.Status.DORMANT:
            states.append((draw_day(rng, active + timedelta(days=365), LAST_DAY), {}))
        self.write_steps(Reless, row, col, states)

    def write_steps(self, model, row: tuple, col: dict, states: list[tuple[date, dict]]) -> None:
        """One record per state (its day, the fields then unlike the row's), the last state
        made the row itself; days kept in order and never after LAST_DAY; of the states of
        one day only the last is recorded."""
        states[-1] = (states[-1][0], {})
        dated: list[tuple[date, dict]] = []
        for when, fields in states:
            day = max(dated[-1][0] if dated else date.min, min(when, LAST_DAY))
            if dated and dated[-1][0] == day:
                dated.pop()
            dated.append((day, fields))
        for n, (day, fields) in enumerate(dated):
            record = list(row)
            for name, value in fields.items():
                record[col[name]] = value
            self.add(model, record, self.moment(day), "~" if n else "+")

    def record_diagnostics(self, rows: dict) -> None:
        """A diagnostic drafted on its creation with its parts, then validated."""
        col = {n: i for i, n in enumerate(self.columns[TerritorialDiagnostic])}
        drafted = {}
        for row in rows[TerritorialDiagnostic]:
            drafted[row[col["id"]]] = row[col["created_at"]]
            draft = list(row)
            draft[col["status"]], draft[col["validated_at"]] = (
                TerritorialDiagnostic.Status.DRAFT, None)
            self.add(TerritorialDiagnostic, draft, row[col["created_at"]], "+")
            if row[col["validated_at"]]:
                self.add(TerritorialDiagnostic, row, row[col["validated_at"]], "~")
        for model in DIAGNOSTIC_PARTS:
            position = self.columns[model].index("diagnostic_id")
            for row in rows[model]:
                self.add(model, row, drafted[row[position]], "+")

    def record_interventions(self, rows: list[tuple], beneficiaries: list[tuple]) -> None:
        """Recorded up to three months before they start, with their beneficiaries."""
        reached: dict[int, list[tuple]] = {}
        for row in beneficiaries:
            reached.setdefault(row[1], []).append(row)
        col = {n: i for i, n in enumerate(self.columns[Intervention])}
        for row in rows:
            day = row[col["start_date"]] - timedelta(days=self.rng.randint(0, 90))
            history = self.add(Intervention, row, self.moment(min(day, LAST_DAY)))
            for pk, intervention, organisation in reached.get(row[col["id"]], []):
                self.sink.add(HISTORICAL_BENEFICIARIES, (
                    self.take_id(HISTORICAL_BENEFICIARIES), pk, intervention, organisation,
                    history))

    # Records ---------------------------------------------------------------------------------

    def add(self, model, row, when: datetime, kind: str = "+") -> int:
        """A record of `row` (all the generated columns) at `when`: its history id."""
        return self.add_record(model, [row[i] for i in self.kept[model]], when, kind)

    def add_record(self, model, kept: list, when: datetime, kind: str,
                   filieres: list[tuple[int, int]] = ()) -> int:
        """A record of the values its history keeps; an organisation's with its filières."""
        history = self.take_id(self.historical[model])
        self.sink.add(self.historical[model], (*kept, history, when, REASON, kind, None))
        organisation = kept[0] if filieres else None
        for pk, filiere in filieres:
            self.sink.add(HISTORICAL_FILIERES, (self.take_id(HISTORICAL_FILIERES), pk,
                                                organisation, filiere, history))
        return history

    def moment(self, day: date) -> datetime:
        """A time of the working day on `day`."""
        minutes = self.rng.randint(7 * 60, 18 * 60)
        return datetime.combine(day, time(minutes // 60, minutes % 60), UTC)

    def take_id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def value(self, model, row: tuple, name: str):
        return row[self.columns[model].index(name)]

