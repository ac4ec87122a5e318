"""The organisation import's entry point: read, check, then (unless a dry run) write, all or
nothing."""

import contextlib
import gc
from collections.abc import Callable, Iterator

from django.core.exceptions import PermissionDenied
from django.db import transaction

from communes.models import Commune

from ..permissions import can_write_commune
from .checking import Checker, Plan
from .columns import COLUMNS, HEADER_ALIASES, REQUIRED_COLUMNS
from .reading import read_header, table_checked
from .results import ImportResult
from .writing import write_plan


def import_organisations(*, user, commune: Commune, rows, dry_run: bool = True,
                         file_name: str | None = None,
                         progress: Callable[[int, int], None] | None = None,
                         before_write: Callable[[], bool] | None = None,
                         on_written: Callable[[ImportResult], None] | None = None,
                         isolated: bool = False) -> ImportResult:
    """Check (dry run) or import organisations into `commune`, all or nothing.

    `rows`: the file's bytes or a file object (CSV or XLSX, told by `file_name` or the
    object's name), or an iterable of dicts keyed by headers. `progress(checked, total)` is
    called every 2,000 rows. Inside the import's transaction, `before_write()` runs first
    (False: write nothing) and `on_written(result)` after the writes. `isolated`: read the
    file in a child process under the memory limit (child.read_table_in_child).
    Raises PermissionDenied when the user may not write to the commune, OutOfMemory when
    reading the file needs more memory than allowed."""
    if not can_write_commune(user, commune.pk):
        raise PermissionDenied
    result = ImportResult(dry_run=dry_run)
    with _collector_paused():  # (the rows and plan are let go before it resumes)
        plan = _check(rows, file_name, commune, result, progress, isolated)
        if result.ok and not dry_run and (plan.creates or plan.updates):
            with transaction.atomic():
                if before_write is None or before_write():
                    write_plan(plan, user, commune, result)
                    if on_written:
                        on_written(result)
        del plan
    return result


def _check(rows, file_name: str | None, commune: Commune, result: ImportResult,
           progress: Callable[[int, int], None] | None, isolated: bool) -> Plan:
    """Read and check the file: what to write, or errors in `result`."""
    plan = Plan()
    table = table_checked(rows, file_name, result.errors, isolated)
    if result.errors:
        return plan
    columns = read_header(table[0], COLUMNS, HEADER_ALIASES, REQUIRED_COLUMNS,
                          result.errors, result.ignored_columns)
    if not result.errors:
        Checker(commune, columns, result).check_all(table[1:], plan, progress)
    return plan


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused (as it was before, after). An import keeps a few
    hundred thousand containers alive until it ends (rows, cells, plans); each batch of them
    sets off a collection that walks the whole heap of the process, which took longer than
    checking the rows. Reference counting still frees everything the import lets go."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
