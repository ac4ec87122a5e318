"""P1, P2, P7 and the soak: the platform under gunicorn, loaded by wrk; the page weights."""

import http.client
import os
import re
import secrets
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from accounts.models import ApiToken
from cooperatives import freshness

from . import load, pages, procs
from .context import Context, add_row
from .rows import SOAK, not_measured


def measure_http(ctx: Context, which: set[str]) -> None:
    if {"P7", SOAK} & which:
        ensure_static_collected(ctx)
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
                    ctx.rows.append(not_measured(target, f"error: {type(error).__name__}: "
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


def ensure_static_collected(ctx: Context) -> None:
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
    add_row(ctx, target, f"{what}: p95 latency", None if failed else result.p95_ms, "ms", p95,
         "<", note=("errors: " if failed else "") + note, details=result.as_dict())
    if rps is not None:
        cores = os.cpu_count() or 1
        cpu = (result.app_cpu_ms or 0) + (result.db_cpu_ms or 0)
        add_row(ctx, target, f"{what}: throughput", None if failed else result.rps, "req/s", rps,
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
    add_row(ctx, "P7", f"pages: server time p95, worst of {len(measured)}: {worst['page']}",
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
    weights, bad = [], []
    for name, path, who in pages.catalogue(ctx.commune):
        weight = load.page_weight(base, path, sessions[who])
        weight.update(name=name, who=who)
        weights.append(weight)
        bad += [f"{path}: {e}" for e in weight["errors"]]
        bad += [f"{path}: external {u}" for u in weight["external"]]
    weights.sort(key=lambda w: -w["total_bytes"])
    heaviest = weights[0]
    add_row(ctx, "P7", f"first load of every page ({len(weights)} pages, HTML + static files, "
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
    add_row(ctx, SOAK, f"{ctx.options.connections} clients × {result.seconds:.0f} s, {len(paths)} "
         "API and page URLs: errors",
         result.errors + len(bad), "errors", 0, "==",
         note="".join(f"{b}; " for b in bad[:3]) + (
             f"{result.requests:,} requests, {result.rps:.0f} req/s, p95 {result.p95_ms} ms, "
             f"p99 {result.p99_ms} ms, CPU per request: app {result.app_cpu_ms} ms + "
             f"PostgreSQL {result.db_cpu_ms} ms"),
         details={**result.as_dict(), "preflight": bad})
