"""HTTP load with wrk (a second process), and the weight of a page's first load.

wrk runs a Lua script of ours: it sends the headers (token, session cookie), rotates over
the given paths, counts every non-2xx answer itself (wrk only counts >= 400) and prints its
summary and latency percentiles as one JSON line from `done`."""

import gzip
import http.client
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

MARK = "BENCH_JSON "
SCRIPT = r"""
local paths = {%(paths)s}
local headers = {%(headers)s}
for name, value in pairs(headers) do wrk.headers[name] = value end
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  counter = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + (thread:get("non2xx") or 0) end
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "non2xx": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d, ' ..
    '"mean_us": %%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, bad, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass
class LoadResult:
    url: str
    paths: int
    connections: int
    seconds: float
    requests: int
    rps: float
    errors: int  # socket errors, timeouts and non-2xx answers
    non2xx: int
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    app_cpu_ms: float | None = None  # CPU of the server's processes per request, when known
    db_cpu_ms: float | None = None  # CPU of the database backends per request (lower bound)

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def run_wrk(base: str, paths: list[str], *, headers: dict[str, str], connections: int,
            threads: int, seconds: int, timeout_s: int = 10) -> LoadResult:
    """Load `base` + paths (round robin) for `seconds` with `connections` open connections."""
    script = SCRIPT % {
        "paths": ", ".join(_lua_string(p) for p in paths),
        "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}"
                             for k, v in headers.items()),
        "mark": MARK,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as file:
        file.write(script)
        file.flush()
        args = ["wrk", "-t", str(max(1, min(threads, connections))), "-c", str(connections),
                "-d", f"{seconds}s", "--timeout", f"{timeout_s}s", "-s", file.name, base]
        done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60,
                              start_new_session=True)
    line = next((line for line in done.stdout.splitlines() if line.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary (exit {done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    data = json.loads(line[len(MARK):])
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    elapsed = data["duration_us"] / 1e6
    return LoadResult(
        url=base + paths[0], paths=len(paths), connections=connections, seconds=round(elapsed, 1),
        requests=data["requests"], rps=round(data["requests"] / elapsed, 1) if elapsed else 0,
        errors=socket_errors + data["non2xx"], non2xx=data["non2xx"],
        **{f"{p}_ms": round(data[f"{p}_us"] / 1000, 1)
           for p in ("p50", "p90", "p95", "p99", "max")},
    )


# -- First-load weight ------------------------------------------------------------------------


class _Assets(HTMLParser):
    """URLs a browser fetches on a first load: stylesheets, scripts, images, icons."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and a.get("href") and ({"stylesheet", "icon", "preload", "modulepreload",
                                                 "manifest"} & set(rel)):
            self.urls.append(a["href"])
        elif tag in ("script", "img", "source", "iframe") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "img" and a.get("srcset"):
            self.urls.append(a["srcset"].split(",")[0].split()[0])


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, int]:
    """(status, headers, decoded body, bytes on the wire: status line, headers and body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers={"Accept-Encoding": "gzip", **headers})
        response = conn.getresponse()
        raw = response.read()
        head = {k.lower(): v for k, v in response.getheaders()}
        wire = len(raw) + sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
        body = gzip.decompress(raw) if head.get("content-encoding") == "gzip" else raw
        return response.status, head, body, wire
    finally:
        conn.close()


def page_weight(base: str, path: str, headers: dict[str, str]) -> dict:
    """Bytes a browser with an empty cache transfers to show the page (gzip where served):
    the HTML, then every stylesheet, script and image it references, and what the
    stylesheets reference. External (non-loopback) URLs are listed, not fetched."""
    seen: dict[str, int] = {}
    external: list[str] = []
    statuses: dict[str, int] = {}
    status, head, body, wire = fetch(base + path, headers)
    seen[path], statuses[path] = wire, status
    parser = _Assets()
    parser.feed(body.decode("utf-8", "replace"))
    queue = [urljoin(base + path, u) for u in parser.urls]
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in ("127.0.0.1",
                                                                           "localhost"):
            if parts.scheme in ("http", "https", ""):
                external.append(url)
            continue
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        if key in seen:
            continue
        status, head, body, wire = fetch(url, {})
        seen[key], statuses[key] = wire, status
        if "css" in head.get("content-type", ""):
            for match in CSS_URL.finditer(body.decode("utf-8", "replace")):
                ref = match.group(1) or match.group(2)
                if not ref.startswith("data:"):
                    queue.append(urljoin(url, ref))
    return {"path": path, "total_bytes": sum(seen.values()), "files": seen,
            "statuses": statuses, "external": external,
            "errors": [k for k, s in statuses.items() if not 200 <= s < 300]}


def page_headers(base: str, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """(status, HTML bytes) of one GET, as a pre-flight check before loading a path."""
    status, _head, body, _wire = fetch(base + path, headers)
    return status, len(body)


def tmp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="reless-bench-"))
