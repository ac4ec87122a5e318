"""The benchmark: measure P1-P8 (PRODUCT.md, "Targets") on the database in use, print one
table and write the same rows as JSON.

`run_bench(Options(...), say=print)` is what `manage.py bench` and the smoke test call. Each
measurement is bounded in time and guarded: a measurement that breaks gives a FAIL row with
its error, the others still run. Every subprocess (gunicorn, the Celery worker, wrk, the P6
process) runs in its own process group and is killed when the run ends, whatever happens.
"""

import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import ApiToken, User
from communes.models import Commune
from cooperatives import freshness
from cooperatives.models import Organisation, OrganisationStatus, Role, RoleAssignment
from reports.models import ReportRun
from sectors.models import Ministry

from . import baseline_sql, csv_import, load, procs, queries
from .dataset import BenchError, DatasetInfo, bench_communes, check_database, ensure_dataset

TARGETS = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8")
SOAK = "soak"
DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "bench" / "results.json"
IMPORT_ROWS = 50_000
P5_SAMPLES = 4
IMPORT_TIMEOUT = 600  # seconds: 50,000 rows at a tenth of the target rate
Say = Callable[[str], None]


@dataclass
class Options:
    scale: str = "national"
    fraction: float = 1.0
    only: frozenset[str] = frozenset(TARGETS + (SOAK,))
    duration: int = 30  # seconds of each load test (P1, P2; P7 pages get a third each)
    soak: int = 60  # seconds of the 16-client reliability soak
    skip_load: bool = False
    output: Path | None = DEFAULT_OUTPUT
    import_rows: int = IMPORT_ROWS
    connections: int = 16


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


# -- The run ------------------------------------------------------------------------------------


@dataclass
class Context:
    options: Options
    say: Say
    dataset: DatasetInfo
    log_dir: Path
    year: int
    on: date
    commune: Commune  # the largest commune: dashboard, edits, import
    communes: list[Commune]
    admin: User
    analyst: User
    agent: User
    agent_password: str
    analyst_password: str
    admin_password: str = ""
    representative: User | None = None  # of the commune's first organisation
    representative_password: str = ""
    token: ApiToken | None = None
    token_key: str = ""
    rows: list[Row] = field(default_factory=list)
    worker_queue: str | None = None
    server: dict = field(default_factory=dict)
    server_process: procs.Process | None = None


def run_bench(options: Options, say: Say = print) -> dict:
    """Measure the selected targets; returns (and writes) the results as plain data."""
    check_database()
    started, host = timezone.now(), machine()
    dataset = ensure_dataset(options.scale, options.fraction, say)
    communes = bench_communes()
    if not communes:
        raise BenchError("No commune holds organisations: nothing to measure.")
    from reports.compute import report_date

    year = timezone.localdate().year
    ctx = Context(options=options, say=say, dataset=dataset, log_dir=load.tmp_dir(), year=year,
                  on=report_date(year), commune=communes[0], communes=communes,
                  **_accounts(communes[0]))
    say(f"Dataset: {dataset.organisations:,} organisations, {dataset.links:,} links in "
        f"{dataset.communes_with_organisations} communes; measuring in {ctx.commune.pcode} "
        f"({ctx.commune.name_fr}, the largest). Logs: {ctx.log_dir}")
    try:
        _measure_all(ctx)
    finally:
        ApiToken.objects.filter(user=ctx.analyst, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
    results = _results(ctx, started, host)
    if options.output:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return results


def _measure_all(ctx: Context) -> None:
    only = ctx.options.only
    if "P6" in only:
        _guard(ctx, "P6", lambda: measure_p6(ctx))
    if {"P4", "P5"} & only:
        with _worker(ctx) as ready:
            if "P4" in only:
                _guard(ctx, "P4", lambda: measure_p4(ctx, ready))
            if "P5" in only:
                _guard(ctx, "P5", lambda: measure_p5(ctx, ready))
    if "P3" in only:
        _guard(ctx, "P3", lambda: measure_p3(ctx))
    if "P8" in only:
        _guard(ctx, "P8", lambda: measure_p8(ctx))
    loads = {"P1", "P2", "P7", SOAK} & only
    if loads:
        if ctx.options.skip_load or not load.wrk_available():
            reason = "--skip-load" if ctx.options.skip_load else "wrk is not installed"
            for target in sorted(loads):
                ctx.rows.append(_not_measured(target, f"skipped: {reason}"))
        else:
            before = len(ctx.rows)
            _guard(ctx, "P1", lambda: measure_http(ctx, loads))
            done = {row.id for row in ctx.rows[before:]}
            failure = next((row.note for row in ctx.rows[before:] if row.figure is None), "")
            for target in sorted(loads - done):
                ctx.rows.append(_not_measured(target, failure or "not measured"))


def _guard(ctx: Context, target: str, measure: Callable[[], None]) -> None:
    """Run one measurement; an error becomes a FAIL row instead of ending the benchmark."""
    ctx.say(f"[{time.strftime('%H:%M:%S')}] {target}... (load average "
            f"{os.getloadavg()[0]:.1f})")
    before = len(ctx.rows)
    try:
        measure()
    except Exception as error:  # noqa: BLE001 - reported in the table, with the traceback
        (ctx.log_dir / f"{target}-error.txt").write_text(traceback.format_exc())
        if len(ctx.rows) == before:
            ctx.rows.append(_not_measured(target, f"error: {type(error).__name__}: {error}"))
        ctx.say(f"  {target} failed: {type(error).__name__}: {error}")
    finally:
        connection.close()  # a broken transaction must not leak into the next measurement


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
    SOAK: ("16-client soak: errors", 0, "errors", "=="),
}


def _not_measured(target: str, note: str) -> Row:
    what, value, unit, compare = UNMEASURED[target]
    return Row(target, what, None, unit, value, compare, note=note,
               load_average=round(os.getloadavg()[0], 2))


def _row(ctx: Context, *args, **kwargs) -> Row:
    row = Row(*args, **kwargs, load_average=round(os.getloadavg()[0], 2))
    ctx.rows.append(row)
    ctx.say(f"  {row.id} {row.what}: {fmt(row.figure, row.unit)} "
            f"({row.compare} {fmt(row.target, row.unit)}) {row.result}"
            + (f" — {row.note}" if row.note else ""))
    return row


def _accounts(commune: Commune) -> dict:
    """The benchmark's own accounts (created once, passwords renewed on each run)."""
    def user(username: str, **flags) -> User:
        account, _created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@bench.invalid", **flags})
        return account

    admin, analyst, agent = user("bench.admin"), user("bench.analyst"), user("bench.agent")
    representative = user("bench.representative")
    # A national admin by role only: no Django admin site, no superuser flag.
    User.objects.filter(pk=admin.pk).update(is_superuser=False, is_staff=False)
    RoleAssignment.objects.get_or_create(user=admin, role=Role.ADMIN)
    admin.refresh_from_db()
    ministry = Ministry.objects.order_by("acronym").first()
    RoleAssignment.objects.get_or_create(user=analyst, role=Role.ANALYST, ministry=ministry)
    RoleAssignment.objects.filter(user=agent).exclude(commune=commune).delete()
    RoleAssignment.objects.get_or_create(user=agent, role=Role.CTD_AGENT, commune=commune)
    organisation = commune.organisations.order_by("pk").first()
    RoleAssignment.objects.filter(user=representative).exclude(organisation=organisation).delete()
    RoleAssignment.objects.get_or_create(user=representative, role=Role.REPRESENTATIVE,
                                         organisation=organisation)
    from .pages import ensure_draft_diagnostic

    ensure_draft_diagnostic(commune, admin)
    passwords = {}
    for account in (admin, analyst, agent, representative):
        passwords[account.username] = secrets.token_urlsafe(18)
        # The server checks it with its own settings: hash with Django's default hasher even
        # where this process is configured otherwise (the tests use a fast one).
        account.password = PBKDF2PasswordHasher().encode(passwords[account.username],
                                                         PBKDF2PasswordHasher().salt())
        account.save(update_fields=["password"])
    return {"admin": admin, "analyst": analyst, "agent": agent,
            "representative": representative,
            "agent_password": passwords["bench.agent"],
            "analyst_password": passwords["bench.analyst"],
            "admin_password": passwords["bench.admin"],
            "representative_password": passwords["bench.representative"]}


def _results(ctx: Context, started: datetime, host: dict) -> dict:
    order = {t: i for i, t in enumerate(TARGETS + (SOAK,))}
    rows = sorted(ctx.rows, key=lambda r: order.get(r.id, len(order)))
    return {
        "started_at": started.isoformat(), "finished_at": timezone.now().isoformat(),
        "machine": host, "load_average_end": [round(v, 2) for v in os.getloadavg()],
        "dataset": ctx.dataset.as_dict(),
        "options": {k: sorted(v) if isinstance(v, frozenset) else v
                    for k, v in asdict(ctx.options).items()},
        "commune": ctx.commune.pcode, "year": ctx.year, "on": ctx.on.isoformat(),
        "log_dir": str(ctx.log_dir), "server": ctx.server,
        "rows": [row.as_dict() for row in rows],
        "passed": sum(1 for r in rows if r.passed), "failed": sum(1 for r in rows if not r.passed),
    }


def machine() -> dict:
    meminfo = Path("/proc/meminfo")
    ram = None
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {"nproc": os.cpu_count(), "ram_gb": ram, "postgresql": pg, "code": _code_version(),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average": [round(v, 2) for v in os.getloadavg()]}


def _code_version() -> str:
    """The commit measured, and how many files differ from it (others edit as we measure)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=procs.ROOT,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain"], cwd=procs.ROOT,
                                 capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    count = len(changed.splitlines())
    return f"{head} + {count} changed files" if count else head


# -- P4 and P5: reports through the Celery worker -------------------------------------------------


@contextmanager
def _worker(ctx: Context):
    """A real worker (`celery worker -c 2`) on a queue of its own, when Redis is configured;
    otherwise the tasks run in-process (eager) and the timing says so. Yields whether a
    worker runs."""
    from reless_platform.celery import app

    if not settings.REDIS_URL:
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            yield False
        finally:
            app.conf.task_always_eager = eager
        return
    process, queue, node = procs.celery_worker(ctx.log_dir, concurrency=2)
    old = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = queue, False
    try:
        with process:
            procs.wait_worker(process, node)
            ctx.worker_queue = queue
            yield True
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = old
        ctx.worker_queue = None


def _wait(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


PENDING = (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING)


def measure_p4(ctx: Context, worker: bool) -> None:
    """The national recompute through the tasks, beside the SQL baseline on the same data."""
    from reports.tasks import request_national_recompute

    # Runs queued by an earlier, interrupted run would coalesce with ours and never finish.
    ReportRun.objects.filter(status__in=PENDING).update(
        status=ReportRun.Status.FAILED, finished_at=timezone.now(),
        error="Left pending before a benchmark run.")
    first = (ReportRun.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    baseline, baseline_first = baseline_sql.run_baseline(year=ctx.year, on=ctx.on)
    requested = timezone.now()
    with transaction.atomic():
        request_national_recompute(year=ctx.year, user=ctx.admin)
    ours = ReportRun.objects.filter(id__gte=first)
    limit = 600
    finished = _wait(lambda: not ours.filter(status__in=PENDING).exists(), limit, 0.2)
    last = ours.aggregate(m=Max("finished_at"))["m"]
    wall = (last - requested).total_seconds() if finished and last else None
    _, baseline_again = baseline_sql.run_baseline(year=ctx.year, on=ctx.on)
    base_seconds = min(baseline_first, baseline_again)
    failed = ours.filter(status=ReportRun.Status.FAILED).count()
    where = "worker -c 2" if worker else "in-process (no REDIS_URL)"
    details = {"runs": ours.count(), "failed_runs": failed, "baseline_seconds": [
        round(baseline_first, 2), round(baseline_again, 2)], "worker": worker}
    note = "" if finished else f"runs still pending after {limit} s"
    if failed:
        note = f"{failed} runs failed: " + "; ".join(
            ours.filter(status=ReportRun.Status.FAILED).values_list("error", flat=True)[:2])
    _row(ctx, "P4", f"national recompute: {ours.count()} runs, {where}",
         wall if not failed else None, "s", 30, "<", note=note, details=details)
    _row(ctx, "P4", f"platform ÷ SQL baseline (baseline {base_seconds:.1f} s)",
         wall / base_seconds if wall and not failed else None, "×", 2, "<=", details=details)
    check = baseline_sql.compare(baseline, *_stored_results(ours))
    _row(ctx, "P4", f"baseline = platform ({check['checked']:,} figures compared)",
         check["mismatches"], "mismatches", 0, "==",
         note="; ".join(check["examples"][:3]), details=check)


def _stored_results(runs) -> tuple[dict, dict, dict | None]:
    convergence, cooperation, national = {}, {}, None
    for kind, scope, result in runs.filter(status=ReportRun.Status.DONE).values_list(
            "kind", "scope", "result"):
        if scope == "national":
            if kind == ReportRun.Kind.COOPERATION:
                national = result
        elif kind == ReportRun.Kind.CONVERGENCE:
            convergence[scope] = result
        else:
            cooperation[scope] = result
    return convergence, cooperation, national


def measure_p5(ctx: Context, worker: bool) -> None:
    """Edits of one organisation (services), each until both commune reports are refreshed."""
    from cooperatives.services import organisation_update

    organisation = (Organisation.objects.filter(commune=ctx.commune,
                                                status=OrganisationStatus.ACTIVE)
                    .order_by("id").first())
    samples, timeouts = [], 0
    for n in range(P5_SAMPLES):
        seconds = _edit_to_refresh(ctx, organisation_update, organisation,
                                   delta=1 if n % 2 == 0 else -1)
        if seconds is None:
            timeouts += 1
        else:
            samples.append(seconds)
    worst = max(samples) if samples and not timeouts else None
    note = (f"median {statistics.median(samples):.2f} s of {len(samples)} edits"
            if samples else "") + (f"; {timeouts} edits not refreshed within 30 s"
                                   if timeouts else "")
    if not worker:
        note += "; no REDIS_URL: tasks ran in-process"
    _row(ctx, "P5", f"edit → both reports of {ctx.commune.pcode} refreshed (worst of "
         f"{P5_SAMPLES} edits)", worst, "s", 2, "<", note=note,
         details={"samples": samples, "timeouts": timeouts, "organisation": organisation.pk})


def _edit_to_refresh(ctx: Context, update, organisation: Organisation, delta: int
                     ) -> float | None:
    """Seconds from the edit's commit until both reports of the commune were computed by runs
    started after it (None: not within 30 s)."""
    organisation.refresh_from_db()
    committed: list[datetime] = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(timezone.now()))
        update(user=ctx.agent, organisation=organisation,
               employees=organisation.employees + delta)
    fresh = ReportRun.objects.filter(scope=ctx.commune.pcode, status=ReportRun.Status.DONE,
                                     started_at__gte=committed[0]).order_by()
    if not _wait(lambda: fresh.values("kind").distinct().count() == 2, 30, 0.02):
        return None
    firsts = [fresh.filter(kind=kind).order_by("finished_at").values_list(
        "finished_at", flat=True).first() for kind in ReportRun.Kind.values]
    # Let the runs of this edit settle before the next one.
    _wait(lambda: not ReportRun.objects.filter(scope=ctx.commune.pcode,
                                               status__in=PENDING).exists(), 30)
    return (max(firsts) - committed[0]).total_seconds()


# -- P6: graph metrics in a process of their own ----------------------------------------------


def measure_p6(ctx: Context) -> None:
    data = _json_process(ctx, ["-m", "bench.graph", ctx.on.isoformat()], 300)
    _row(ctx, "P6", f"national graph metrics ({data['links']:,} links): time", data["seconds"],
         "s", 5, "<", note=f"fetch {data['load_seconds']:.2f} s + graph "
         f"{data['graph_seconds']:.2f} s; {data['active_organisations']:,} active "
         f"organisations, {data['components']:,} components", details=data)
    _row(ctx, "P6", "national graph metrics: peak memory (process RSS)", data["peak_mb"], "MB",
         1024, "<", note=f"{data['peak_before_mb']:.0f} MB before (Django loaded)",
         details=data)


# -- P3 and P8: in-process -----------------------------------------------------------------------


def measure_p3(ctx: Context) -> None:
    counts = queries.count_queries(ctx.admin, ctx.commune.pcode)
    differ = [c for c in counts if not c.equal]
    broken = [c for c in counts if any(s >= 500 for s in c.status.values())]
    note = "; ".join(f"{c.url}: {c.queries[1]} vs {c.queries[100]}" for c in differ[:4])
    if broken:
        note += "; server errors: " + ", ".join(c.url for c in broken)
    _row(ctx, "P3", f"queries differ at page_size 1 vs 100 ({len(counts)} list/report "
         "endpoints)", len(differ) + len(broken), "endpoints", 0,
         "==", note=note.strip("; "), details={"endpoints": [c.as_dict() for c in counts]})


def measure_p8(ctx: Context) -> None:
    """In a process of its own, so a slow import is stopped at IMPORT_TIMEOUT (its transaction
    then rolls back with the connection)."""
    try:
        csv_import.importer()
    except csv_import.ImportUnavailable as error:
        ctx.rows.append(_not_measured("P8", f"not measured: import not available ({error})"))
        return
    rows = ctx.options.import_rows
    try:
        data = _json_process(ctx, ["-m", "bench.csv_import", str(ctx.agent.pk), str(ctx.commune.pk),
                              str(rows)], IMPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        _vacuum_import_tables()
        _row(ctx, "P8", f"CSV import of {rows:,} rows, checked and written", None, "rows/s",
             5000, ">=", note=f"stopped after {IMPORT_TIMEOUT} s: below "
             f"{rows / IMPORT_TIMEOUT:,.0f} rows/s")
        return
    _vacuum_import_tables()
    if "unavailable" in data:
        ctx.rows.append(_not_measured("P8", "not measured: import not available "
                                            f"({data['unavailable']})"))
        return
    figure = data["import_rows_per_s"] if not data["errors"] and data["written"] else None
    note = (f"dry run (checks only) {data['dry_run_rows_per_s']:,.0f} rows/s; rolled back"
            if figure else f"import refused: {data['errors']} errors, e.g. "
            + "; ".join(data["first_errors"]))
    _row(ctx, "P8", f"CSV import, {data['rows']:,} rows ({data['bytes'] / 1e6:.1f} MB) checked "
         "and written", figure, "rows/s", 5000, ">=", note=note, details=data)


def _vacuum_import_tables() -> None:
    """The rolled-back import leaves tens of thousands of dead rows in the tables it wrote;
    clear them (a server with autovacuum off would otherwise slow every later measurement)."""
    from cooperatives.models import DuplicateFlag, OrganisationFiliere, RegistryEvent

    models = (Organisation, Organisation.history.model, OrganisationFiliere, RegistryEvent,
              RegistryEvent.history.model, DuplicateFlag)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _json_process(ctx: Context, args: list[str], timeout: float) -> dict:
    """Run `python ARGS` in its own process group; its BENCH_JSON line, parsed."""
    process = procs.Process(args[1].rsplit(".", 1)[-1] if args[0] == "-m" else "script",
                            [sys.executable, *args], procs.child_env(), ctx.log_dir)
    out = process.log
    with process:
        try:
            process.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            process.stop(grace=2)
            raise
    text = out.read_text(errors="replace")
    line = next((line for line in text.splitlines() if line.startswith(load.MARK)), None)
    if line is None:
        raise RuntimeError(f"{' '.join(args)} gave no result (exit "
                           f"{process.popen.returncode}): {text[-2000:]}")
    return json.loads(line[len(load.MARK):])


# -- P1, P2, P7 and the soak: the platform under gunicorn, loaded by wrk ----------------------


def measure_http(ctx: Context, which: set[str]) -> None:
    if {"P7", SOAK} & which:
        _collectstatic(ctx)
    workers = 2 * (os.cpu_count() or 1) + 1
    # The per-token limit (6,000/hour by default) would answer 429 within a minute: the
    # benchmark keeps the throttle's work but counts over one second.
    server, base = procs.gunicorn(ctx.log_dir, workers=workers, extra_env={
        "API_TOKEN_RATE": "1000000/second", "CELERY_QUEUE": ctx.worker_queue or
        f"bench-idle-{secrets.token_hex(4)}", "DEBUG": "0"})
    ctx.token, ctx.token_key = ApiToken.issue(user=ctx.analyst, name="benchmark", days=1)
    ctx.server_process = server
    with server:
        procs.wait_http(server, base + "/api/v1/communes/?page_size=1")
        api = {"Authorization": f"Token {ctx.token_key}"}
        load.run_wrk(base, [_p1_paths(ctx)[0]], headers=api, connections=ctx.options.connections,
                     threads=2, seconds=min(3, ctx.options.duration))  # warm the workers up
        steps = [("P1", lambda: measure_p1(ctx, base, api)),
                 ("P2", lambda: measure_p2(ctx, base, api)),
                 ("P7", lambda: measure_p7(ctx, base)),
                 (SOAK, lambda: measure_soak(ctx, base, api))]
        for target, step in steps:
            if target in which:
                if target != "P1":
                    ctx.say(f"[{time.strftime('%H:%M:%S')}] {target}... (load average "
                            f"{os.getloadavg()[0]:.1f})")
                try:
                    step()
                except Exception as error:  # noqa: BLE001 - one failing step, not all
                    (ctx.log_dir / f"{target}-error.txt").write_text(traceback.format_exc())
                    ctx.rows.append(_not_measured(target, f"error: {type(error).__name__}: "
                                                          f"{error}"))
        ctx.server = {"workers": workers, "log": str(server.log), "base": base}


def _wrk(ctx: Context, base: str, paths: list[str], **kwargs) -> load.LoadResult:
    """wrk, with the CPU time the gunicorn workers spent per request (a figure the other
    processes of a busy machine do not distort the way they distort latency)."""
    before, db_before = procs.group_cpu_seconds(ctx.server_process), procs.database_cpu_seconds()
    result = load.run_wrk(base, paths, **kwargs)
    spent = procs.group_cpu_seconds(ctx.server_process) - before
    db_after = procs.database_cpu_seconds()
    db_spent = sum(db_after[pid] - db_before.get(pid, 0) for pid in db_after)
    result.app_cpu_ms = round(spent * 1000 / max(1, result.requests), 2)
    result.db_cpu_ms = round(db_spent * 1000 / max(1, result.requests), 2)
    return result


def _collectstatic(ctx: Context) -> None:
    """WhiteNoise serves the hashed, compressed files `collectstatic` writes (as in
    production); run it with the server's settings unless the manifest is newer than the
    project's static files."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    sources = [f for folder in settings.STATICFILES_DIRS for f in Path(folder).rglob("*")
               if f.is_file()]
    if manifest.exists() and all(f.stat().st_mtime < manifest.stat().st_mtime for f in sources):
        return
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                   cwd=procs.ROOT, env=procs.child_env(), check=True, timeout=300,
                   capture_output=True, start_new_session=True)


def _p1_paths(ctx: Context) -> list[str]:
    return [f"/api/v1/communes/{c.pcode}/aggregates/?by=ministry" for c in ctx.communes]


def _preflight(base: str, paths: list[str], headers: dict[str, str]) -> list[str]:
    """Paths that do not answer 200 (checked once each before loading them)."""
    bad = []
    for path in paths:
        status, _size = load.page_headers(base, path, headers)
        if status != 200:
            bad.append(f"{path} answers {status}")
    return bad


def _load_rows(ctx: Context, target: str, what: str, result: load.LoadResult,
               *, p95: float, rps: float | None = None, bad: list[str]) -> None:
    note = f"{result.requests:,} requests, {result.errors} errors, p50 {result.p50_ms} ms, " \
           f"p99 {result.p99_ms} ms, {result.connections} connections, {result.seconds:.0f} s, " \
           f"CPU per request: app {result.app_cpu_ms} ms + PostgreSQL {result.db_cpu_ms} ms"
    if bad:
        note = "; ".join(bad[:3]) + "; " + note
    failed = bool(bad) or result.errors > 0
    _row(ctx, target, f"{what}: p95 latency", None if failed else result.p95_ms, "ms", p95,
         "<", note=("errors: " if failed else "") + note, details=result.as_dict())
    if rps is not None:
        cores = os.cpu_count() or 1
        cpu = (result.app_cpu_ms or 0) + (result.db_cpu_ms or 0)
        _row(ctx, target, f"{what}: throughput", None if failed else result.rps, "req/s", rps,
             ">=", note=f"{cpu:.1f} ms of CPU per request (app + PostgreSQL): at most "
             f"{cores * 1000 / cpu:.0f} req/s on {cores} idle cores" if cpu else "",
             details=result.as_dict())


def measure_p1(ctx: Context, base: str, api: dict[str, str]) -> None:
    paths = _p1_paths(ctx)
    bad = _preflight(base, paths[:3], api)
    cold = _cold_pass(base, paths, api)
    result = _wrk(ctx, base, paths, headers=api, connections=ctx.options.connections,
                  threads=2, seconds=ctx.options.duration)
    _load_rows(ctx, "P1", f"/communes/{{pcode}}/aggregates/?by=ministry, {len(paths)} communes "
               f"in turn", result, p95=50, rps=300, bad=bad)
    latency = next(r for r in ctx.rows if r.id == "P1" and "p95" in r.what)
    latency.note += (f"; before the load, one request per commune with every figure "
                     f"recomputed (cache stamps renewed, one client): p50 {cold['p50_ms']} ms, "
                     f"p95 {cold['p95_ms']} ms, max {cold['max_ms']} ms")
    latency.details["cold_pass"] = cold


def _cold_pass(base: str, paths: list[str], headers: dict[str, str], *,
               renew_each: bool = False) -> dict:
    """Renew every cache stamp (before each request with `renew_each`), then GET each path
    once, one at a time: the cost of the first request after a change (the load that follows
    measures the steady state)."""
    freshness.renew_all()
    times = []
    for path in paths:
        if renew_each:
            freshness.renew_all()
        started = time.perf_counter()
        load.fetch(base + path, headers)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()

    def at(share: float) -> float:
        return round(times[min(len(times) - 1, int(share * len(times)))], 1)

    return {"requests": len(times), "p50_ms": at(0.5), "p95_ms": at(0.95),
            "max_ms": round(times[-1], 1)}


def measure_p2(ctx: Context, base: str, api: dict[str, str]) -> None:
    path = "/api/v1/aggregates/?level=commune&by=status&page_size=400"
    bad = _preflight(base, [path], api)
    cold = _cold_pass(base, [path] * 5, api, renew_each=True)
    result = _wrk(ctx, base, [path], headers=api, connections=2, threads=1,
                  seconds=ctx.options.duration)
    _load_rows(ctx, "P2", "/aggregates/?level=commune&by=status&page_size=400", result,
               p95=150, bad=bad)
    ctx.rows[-1].note += (f"; computed from scratch (cache stamps renewed before each of 5 "
                          f"requests): p50 {cold['p50_ms']} ms, max {cold['max_ms']} ms")
    ctx.rows[-1].details["cold_pass"] = cold


def login(base: str, username: str, password: str) -> str:
    """Log in through the login form, as a browser does; returns the session's Cookie header."""
    import http.client
    import re
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(base)
    cookies: dict[str, str] = {}

    def request(method: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.request(method, "/accounts/login/", body=body, headers={
                **(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
            response = conn.getresponse()
            content = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, content
        finally:
            conn.close()

    _status, page = request("GET")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise RuntimeError("no CSRF token in the login form")
    form = urlencode({"username": username, "password": password,
                      "csrfmiddlewaretoken": match.group(1)})
    status, _ = request("POST", form, {"Content-Type": "application/x-www-form-urlencoded",
                                       "Referer": base + "/accounts/login/"})
    if status != 302 or not cookies.get("sessionid"):
        raise RuntimeError(f"login of {username} failed (HTTP {status})")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def measure_p7(ctx: Context, base: str) -> None:
    pcode = ctx.commune.pcode
    agent = {"Cookie": login(base, ctx.agent.username, ctx.agent_password)}
    analyst = {"Cookie": login(base, ctx.analyst.username, ctx.analyst_password)}
    pages = [("home (public)", "/", {}),
             ("commune dashboard (CTD agent)", f"/communes/{pcode}/dashboard/", agent),
             ("convergence report, commune", f"/reports/convergence/{pcode}/", agent),
             ("cooperation report, commune", f"/reports/cooperation/{pcode}/", agent),
             ("convergence report, national (analyst)", "/reports/convergence/", analyst),
             ("cooperation report, national (analyst)", "/reports/cooperation/", analyst),
             ("national map (public)", "/reports/map/", {})]
    seconds = max(1, ctx.options.duration // 3)
    measured = []
    for label, path, headers in pages:
        status, size = load.page_headers(base, path, headers)
        if status == 404 and path.startswith("/reports/"):
            continue  # not present
        result = _wrk(ctx, base, [path], headers=headers, connections=1, threads=1,
                      seconds=seconds)
        measured.append({"page": label, "path": path, "status": status, "html_bytes": size,
                         **result.as_dict()})
    worst = max(measured, key=lambda m: (m["status"] != 200 or m["errors"] > 0, m["p95_ms"]))
    failed = [m for m in measured if m["status"] != 200 or m["errors"]]
    note = ", ".join(f"{m['page'].split(' (')[0]} {m['p95_ms']:.0f} ms (CPU app "
                     f"{m['app_cpu_ms']:.0f} + db {m['db_cpu_ms']:.0f})" for m in measured)
    if failed:
        note = "errors: " + ", ".join(f"{m['path']} ({m['status']}, {m['errors']} errors)"
                                      for m in failed) + "; " + note
    _row(ctx, "P7", f"pages: server time p95, worst of {len(measured)}: {worst['page']}",
         None if failed else worst["p95_ms"], "ms", 200, "<", note=note,
         details={"pages": measured})
    sessions = {"public": {}, "agent": agent, "analyst": analyst,
                "admin": {"Cookie": login(base, ctx.admin.username, ctx.admin_password)},
                "representative": {"Cookie": login(base, ctx.representative.username,
                                                   ctx.representative_password)}}
    measure_page_weights(ctx, base, sessions)


def measure_page_weights(ctx: Context, base: str, sessions: dict[str, dict]) -> None:
    """First load (HTML + every asset, gzip as served, empty cache) of every page of the
    URLconf with the largest commune's objects: the heaviest one against the 60 KB budget."""
    from . import pages

    weights, bad = [], []
    for name, path, who in pages.catalogue(ctx.commune):
        weight = load.page_weight(base, path, sessions[who])
        weight.update(name=name, who=who)
        weights.append(weight)
        bad += [f"{path}: {e}" for e in weight["errors"]]
        bad += [f"{path}: external {u}" for u in weight["external"]]
    weights.sort(key=lambda w: -w["total_bytes"])
    heaviest = weights[0]
    _row(ctx, "P7", f"first load of every page ({len(weights)} pages, HTML + static files, "
         f"gzip as served): heaviest {heaviest['name']}",
         None if bad else heaviest["total_bytes"] / 1024, "KB", 60, "<",
         note="; ".join(bad[:5]) or ", ".join(
             f"{w['name']} {w['total_bytes'] / 1024:.1f} KB" for w in weights),
         details={"pages": [{k: w[k] for k in ("name", "path", "who", "total_bytes", "files")}
                            for w in weights]})


def measure_soak(ctx: Context, base: str, api: dict[str, str]) -> None:
    """16 clients for 60 s over a mix of API reads and pages: 0 errors required."""
    pcodes = [c.pcode for c in ctx.communes[:40]]
    session = login(base, ctx.analyst.username, ctx.analyst_password)
    paths = [f"/api/v1/communes/{p}/aggregates/?by=ministry" for p in pcodes]
    paths += [f"/api/v1/reports/cooperation/?commune={p}" for p in pcodes[:10]]
    paths += [f"/api/v1/reports/convergence/?commune={p}" for p in pcodes[:10]]
    paths += ["/api/v1/aggregates/?level=commune&by=status&page_size=400",
              "/api/v1/organisations/?page_size=50", f"/api/v1/organisations/?commune={pcodes[0]}",
              "/api/v1/communes/", "/", f"/reports/cooperation/{pcodes[0]}/"]
    bad = _preflight(base, paths, {**api, "Cookie": session})
    result = _wrk(ctx, base, paths, headers={**api, "Cookie": session},
                  connections=ctx.options.connections, threads=2, seconds=ctx.options.soak)
    _row(ctx, SOAK, f"{ctx.options.connections} clients × {result.seconds:.0f} s, {len(paths)} "
         "API and page URLs: errors",
         result.errors + len(bad), "errors", 0, "==",
         note="".join(f"{b}; " for b in bad[:3]) + (
             f"{result.requests:,} requests, {result.rps:.0f} req/s, p95 {result.p95_ms} ms, "
             f"p99 {result.p99_ms} ms, CPU per request: app {result.app_cpu_ms} ms + "
             f"PostgreSQL {result.db_cpu_ms} ms"),
         details={**result.as_dict(), "preflight": bad})


# -- The table ---------------------------------------------------------------------------------


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
