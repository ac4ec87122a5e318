"""Reading an uploaded table in a forked child process under a memory limit (the worker's way,
see docs/security-files.md): the worker itself never holds the parser's peak."""

import os
import pickle
import resource
import signal

from django.conf import settings
from django.utils.translation import gettext as _

from .spreadsheets import MB, OutOfMemory, UnreadableFile, read_table


def read_table_in_child(content: bytes, filename: str, **options) -> list[list[str]]:
    """`read_table` in a forked child whose address space may grow by IMPORT_READ_MEMORY_MB
    only: a file that needs more raises OutOfMemory here, and the worker itself never
    holds the parser's peak. Raises UnreadableFile as `read_table` does."""
    import openpyxl.reader.excel  # noqa: F401 - imported before the fork, never in the child

    budget = settings.IMPORT_READ_MEMORY_MB * MB
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, send the outcome, leave without running any cleanup
        os.close(read_end)
        code = 1
        try:
            code = _child(write_end, budget, content, filename, options)
        finally:
            os._exit(code)
    os.close(write_end)
    return _outcome(pid, read_end)


def _child(write_end: int, budget: int, content: bytes, filename: str, options: dict) -> int:
    with os.fdopen(write_end, "wb") as pipe:
        try:
            _limit_address_space(budget)
            outcome = ("rows", read_table(content, filename, **options))
        except UnreadableFile as error:
            outcome = ("unreadable", str(error))
        except MemoryError:
            outcome = ("memory", "")
        except Exception as error:  # noqa: BLE001 - told to the parent, which raises it
            outcome = ("error", repr(error))
        pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


def _limit_address_space(budget: int) -> None:
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * resource.getpagesize()
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + budget
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _outcome(pid: int, read_end: int) -> list[list[str]]:
    reaped = False
    try:
        with os.fdopen(read_end, "rb") as pipe:
            try:
                kind, value = pickle.load(pipe)
            except (EOFError, pickle.UnpicklingError, MemoryError):
                kind, value = "memory", ""  # the child died before it could say why
        os.waitpid(pid, 0)
        reaped = True
    finally:
        if not reaped:  # interrupted (a task's time limit): the child must not outlive it
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if kind == "rows":
        return value
    if kind == "unreadable":
        raise UnreadableFile(value)
    if kind == "error":
        raise RuntimeError(f"reading the file failed: {value}")
    raise OutOfMemory(_("Reading this file needs more memory than the platform allows: "
                        "split it into smaller files."))
