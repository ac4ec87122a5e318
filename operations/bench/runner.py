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
import subprocess
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken, User
from communes.models import Commune
from cooperatives.models import Role, RoleAssignment
from core.warm import freeze_loaded
from reports.compute import report_date
from sectors.models import Ministry

from . import load, procs
from .access import measure_access
from .cold import measure_p10
from .context import Context, Options, Say
from .dataset import BenchError, bench_communes, check_database, ensure_dataset
from .exports import measure_exports, measure_open_data
from .home import measure_home
from .measures import measure_p3, measure_p6, measure_p8
from .pages import ensure_draft_diagnostic
from .refresh import measure_p5_burst
from .rows import SOAK, TARGETS, not_measured
from .search import measure_search
from .web import measure_http
from .worker import measure_p4, measure_p4_past_year, measure_p5, report_worker


def run_bench(options: Options, say: Say = print) -> dict:
    """Measure the selected targets; returns (and writes) the results as plain data."""
    check_database()
    started, host = timezone.now(), machine()
    dataset = ensure_dataset(options.scale, options.fraction, say)
    communes = bench_communes()
    if not communes:
        raise BenchError("No commune holds organisations: nothing to measure.")
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
    if {"P4", "P5", "P9"} & only:
        with report_worker(ctx) as ready:
            if "P4" in only:
                _guard(ctx, "P4", lambda: measure_p4(ctx, ready))
                _guard(ctx, "P4", lambda: measure_p4_past_year(ctx))
            if "P5" in only:
                _guard(ctx, "P5", lambda: measure_p5(ctx, ready))
            if "P9" in only:
                _guard(ctx, "P9", lambda: measure_p5_burst(ctx, ready))
    # The rows below time requests in this process, as a server's worker would serve them;
    # a server freezes what it loaded at start (reless_platform/wsgi.py), so this process
    # does too: the benchmark's own objects are not walked by the requests' collections.
    freeze_loaded()
    if "P3" in only:
        _guard(ctx, "P3", lambda: measure_p3(ctx))
    if "P8" in only:
        _guard(ctx, "P8", lambda: measure_p8(ctx))
    if "HOME" in only:
        _guard(ctx, "HOME", lambda: measure_home(ctx))
    if "ACCESS" in only:
        _guard(ctx, "ACCESS", lambda: measure_access(ctx))
    if "P10" in only:
        _guard(ctx, "P10", lambda: measure_p10(ctx))
    if "SEARCH" in only:
        _guard(ctx, "SEARCH", lambda: measure_search(ctx))
    for fmt in ("csv", "xlsx"):
        if f"EXPORT_{fmt.upper()}" in only:
            _guard(ctx, f"EXPORT_{fmt.upper()}", lambda fmt=fmt: measure_exports(ctx,
                                                                                 formats=[fmt]))
    if "OPENDATA" in only:
        _guard(ctx, "OPENDATA", lambda: measure_open_data(ctx))
    loads = {"P1", "P2", "P7", SOAK} & only
    if loads:
        if ctx.options.skip_load or not load.wrk_available():
            reason = "--skip-load" if ctx.options.skip_load else "wrk is not installed"
            for target in sorted(loads):
                ctx.rows.append(not_measured(target, f"skipped: {reason}"))
        else:
            before = len(ctx.rows)
            _guard(ctx, "P1", lambda: measure_http(ctx, loads))
            done = {row.id for row in ctx.rows[before:]}
            failure = next((row.note for row in ctx.rows[before:] if row.figure is None), "")
            for target in sorted(loads - done):
                ctx.rows.append(not_measured(target, failure or "not measured"))


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
            ctx.rows.append(not_measured(target, f"error: {type(error).__name__}: {error}"))
        ctx.say(f"  {target} failed: {type(error).__name__}: {error}")
    finally:
        connection.close()  # a broken transaction must not leak into the next measurement


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
