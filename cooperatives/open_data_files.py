"""The open-data files (organisations as CSV and JSON-LD, cooperatives.opendata), written
ahead of the requests and served as files: `Content-Length`, an `ETag` and a `Last-Modified`
that name the registry's state they were written from, `Cache-Control`.

When the registry changes (cooperatives.signals, after the commit), the files are marked
stale and one generation is queued on the `exports` queue: at most one is queued or running
(`QUEUED`, a cache key held from the queueing to the task's end), and a change during it
marks the files stale, so the running one writes them once more before it stops. Without a
broker (Celery in-process), nothing runs at the write: the next request that finds the files
stale writes them.

Whoever writes the files (the task or a request) holds `WRITING` while it does. A request
serves the newest files. It writes them itself when there are none or they are stale and
nobody is writing (a generation still waiting in the queue, a lost task, no broker); while
someone writes, the others get the stale files, or, with no file at all yet, 503 with
Retry-After. At
national size a generation takes a few seconds (docs/performance.md, "Exports")."""

import hashlib
import json
import os
import tempfile
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from . import freshness, opendata
from .models import Organisation, OrganisationFiliere, Reless

QUEUED = "opendata:queued"
WRITING = "opendata:writing"
STALE = "opendata:stale"
RUNNING_SECONDS = 900  # a generation lost with its worker frees the keys after this
CSV = "organisations.csv"


def directory() -> Path:
    path = Path(settings.OPEN_DATA_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _compute_fingerprint() -> str:
    organisations = Organisation.objects.aggregate(n=Count("id"), top=Max("id"),
                                                   at=Max("updated_at"))
    links = OrganisationFiliere.objects.aggregate(n=Count("id"), top=Max("id"))
    relesses = Reless.objects.aggregate(n=Count("id"), top=Max("id"))
    text = json.dumps([organisations, links, relesses], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def fingerprint() -> str:
    """The registry's state as the files see it (cached under the registry's stamps, so a
    warm request reads no table); the reference stamp covers territory and filière names."""
    state = freshness.cached("opendata:fingerprint", [freshness.NATIONAL], _compute_fingerprint)
    reference = cache.get(freshness.REFERENCE, "")
    return hashlib.sha256(f"{state}:{reference}".encode()).hexdigest()[:20]


def jsonld_name(base: str) -> str:
    """The JSON-LD file of one site address (its URLs are absolute)."""
    return f"organisations-{hashlib.sha256(base.encode()).hexdigest()[:12]}.jsonld"


def meta(name: str) -> dict | None:
    try:
        return json.loads((directory() / f"{name}.json").read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write(name: str, chunks, state: str) -> dict:
    """Write `chunks` as the file `name` of the registry state `state`, atomically: the data
    under a new name, then its description (what requests read first), then old data goes."""
    folder = directory()
    data = f"{name}.{state}.{os.getpid()}"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=folder,
                                     delete=False, suffix=".part") as out:
        for chunk in chunks:
            out.write(chunk)
    os.chmod(out.name, 0o644)  # public data, read by the web processes
    os.replace(out.name, folder / data)
    now = timezone.now()
    described = {"file": data, "state": state, "size": (folder / data).stat().st_size,
                 "etag": f'"{state}-{hashlib.sha256(data.encode()).hexdigest()[:8]}"',
                 "written_at": now.isoformat(),
                 "last_modified": (opendata.last_modified() or now).isoformat()}
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".part") as out:
        json.dump(described, out)
    os.chmod(out.name, 0o644)
    os.replace(out.name, folder / f"{name}.json")
    for old in folder.glob(f"{name}.*"):
        if old.name not in (data, f"{name}.json") and not old.name.endswith(".part"):
            old.unlink(missing_ok=True)
    return described


def write_csv(state: str | None = None) -> dict:
    return _write(CSV, opendata.dataset_csv(), state or fingerprint())


def write_jsonld(base: str, state: str | None = None) -> dict:
    dataset_url = f"{base}/open-data/organisations.jsonld"
    chunks = opendata.dataset_jsonld(dataset_url=dataset_url, vocab=f"{base}/open-data/#")
    return _write(jsonld_name(base), chunks, state or fingerprint())


def generate() -> tuple[int, bool]:
    """Write the CSV and the site's JSON-LD again, and again while changes came in during the
    writing (the task, cooperatives.tasks; coalesced by `claim`). Returns the rounds written
    and whether one more generation must be queued (a change after the last check)."""
    rounds = 0
    try:
        if not cache.add(WRITING, 1, RUNNING_SECONDS):
            return rounds, False  # a request writes them now; it reads the registry's state
        try:
            while True:
                rounds += 1
                cache.delete(STALE)
                state = fingerprint()
                write_csv(state)
                write_jsonld(settings.SITE_URL.rstrip("/"), state)
                if not cache.get(STALE):
                    break
        finally:
            cache.delete(WRITING)
    finally:
        cache.delete(QUEUED)
    return rounds, bool(cache.get(STALE)) and claim()


def claim() -> bool:
    """Whether a generation should be queued now: never without a broker (the next request
    writes the files), and only when none is in flight."""
    return not current_app.conf.task_always_eager and cache.add(QUEUED, 1, RUNNING_SECONDS)


def mark_stale() -> None:
    cache.set(STALE, 1, timeout=None)


def current(name: str, write) -> tuple[dict | None, Path | None]:
    """The description and path of the file to serve: written now when missing, or stale
    with no generation in flight (one request at a time); (None, None) while another request
    writes the very first one."""
    found = meta(name)
    if (found is None or found["state"] != fingerprint()
            or not (directory() / found["file"]).exists()):
        if cache.add(WRITING, 1, RUNNING_SECONDS):
            try:
                found = write()
            finally:
                cache.delete(WRITING)
    if found is None:
        return None, None
    path = directory() / found["file"]
    return (found, path) if path.exists() else (None, None)
