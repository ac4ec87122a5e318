"""What every measurement receives: the options of the run and its context (dataset,
accounts, the rows measured so far), and `add_row` to record a figure."""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings

from accounts.models import ApiToken, User
from communes.models import Commune
from cooperatives.models import Organisation

from . import procs
from .dataset import DatasetInfo
from .rows import SOAK, TARGETS, Row, fmt

# Git-ignored (.gitignore: operations/bench/results*.json).
DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "operations" / "bench" / "results.json"
IMPORT_ROWS = 50_000
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
    burst: float = 60.0  # seconds the P5 burst of edits lasts (the smoke test shortens it)


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


def add_row(ctx: Context, *args, **kwargs) -> Row:
    row = Row(*args, **kwargs, load_average=round(os.getloadavg()[0], 2))
    ctx.rows.append(row)
    ctx.say(f"  {row.id} {row.what}: {fmt(row.figure, row.unit)} "
            f"({row.compare} {fmt(row.target, row.unit)}) {row.result}"
            + (f" — {row.note}" if row.note else ""))
    return row


def spread_pks(count: int) -> list[int]:
    """`count` organisation ids spread evenly over the table by id. Read as plain ids: a
    stepped slice of a queryset (`[::step]`) builds every row first, which at 10× the national
    size (two million organisations with their communes) ran the benchmark out of memory."""
    pks = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    return pks[::max(1, len(pks) // count)][:count]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
