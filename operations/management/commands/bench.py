"""`manage.py bench`: the targets P1-P8 measured on PostgreSQL, as one table
(operations.bench.runner)."""

import signal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.bench.context import DEFAULT_OUTPUT, Options
from operations.bench.dataset import BenchError
from operations.bench.rows import SOAK, TARGETS, table
from operations.bench.runner import run_bench


def _targets(value: str) -> frozenset[str]:
    wanted = {part.strip().upper() if part.strip().lower() != SOAK else SOAK
              for part in value.split(",") if part.strip()}
    unknown = wanted - set(TARGETS) - {SOAK}
    if unknown:
        raise CommandError(f"Unknown target(s) {', '.join(sorted(unknown))}: choose among "
                           f"{', '.join(TARGETS)} and {SOAK}.")
    return frozenset(wanted)


# Past one country: 3× and 10× the national dataset measure how each cost grows (about 2 GB
# of database per 1×); 20× is the most a 2-core machine is asked to generate.
MAX_FRACTION = 20.0


class Command(BaseCommand):
    help = ("Measure the performance targets P1-P8 and HOME on the national dataset "
            "(generated when the database holds none) and print one table; the same rows go to "
            "operations/bench/results.json.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["tiny", "demo", "national"], default="national")
        parser.add_argument("--fraction", type=float, default=1.0,
                            help="with --scale national on an empty database: generate this "
                                 "multiple of the national dataset (0.1, 0.5, 3, 10: up to "
                                 f"{MAX_FRACTION:g})")
        parser.add_argument("--only", default="",
                            help=f"comma-separated targets, e.g. P1,P4 ({SOAK}: the soak)")
        parser.add_argument("--duration", type=int, default=30,
                            help="seconds of each load test (P1, P2; a third per P7 page)")
        parser.add_argument("--soak", type=int, default=60,
                            help="seconds of the 16-client soak")
        parser.add_argument("--skip-load", action="store_true",
                            help="no gunicorn and no wrk: P1, P2, P7 and the soak are skipped")
        parser.add_argument("--import-rows", type=int, default=50_000)
        parser.add_argument("--output", default=str(DEFAULT_OUTPUT),
                            help="where to write the JSON results ('' for nowhere)")
        parser.add_argument("--strict", action="store_true",
                            help="exit with status 1 when a target is missed")

    def handle(self, *args, scale, fraction, only, duration, soak, skip_load, import_rows,
               output, strict, **options):
        if not 0 < fraction <= MAX_FRACTION:
            raise CommandError(f"--fraction is above 0 and at most {MAX_FRACTION:g} (times the "
                               "national dataset).")
        if fraction != 1 and scale != "national":
            raise CommandError("--fraction applies to --scale national only.")
        chosen = Options(scale=scale, fraction=fraction, duration=max(1, duration),
                         soak=max(1, soak), skip_load=skip_load, import_rows=import_rows,
                         output=Path(output) if output else None)
        if only:
            chosen.only = _targets(only)
        # SIGTERM (a CI timeout, kill) ends like Ctrl-C: the subprocesses are stopped.
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            results = run_bench(chosen, say=self.stdout.write)
        except BenchError as error:
            raise CommandError(str(error)) from error
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("")
        self.stdout.write(table(results))
        if chosen.output:
            self.stdout.write(f"Results written to {chosen.output}")
        if strict and results["failed"]:
            raise CommandError(f"{results['failed']} target(s) missed.", returncode=1)
