"""Growth past one country: `bench --fraction` takes multiples of the national dataset, and
P6's memory is the graph process's own peak, not its parent's (issue 20, part 5)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from operations.bench.dataset import BenchError, scaled_national
from operations.bench.graph import peak_mb
from operations.generator.selection import SCALES
from operations.management.commands import bench as bench_command

ROOT = Path(__file__).resolve().parents[2]


def test_three_times_the_national_dataset_is_three_times_each_figure():
    base, triple = SCALES["national"], scaled_national(3)
    assert (triple.organisations, triple.links, triple.entries, triple.interventions) == (
        base.organisations * 3, base.links * 3, base.entries * 3, base.interventions * 3)
    assert triple.min_organisations == base.min_organisations * 3


@pytest.mark.parametrize("fraction", ["3", "10"])
def test_the_command_accepts_a_multiple_and_hands_it_to_the_run(fraction, monkeypatch):
    asked = []

    def run_bench(options, say):  # the run itself (a 3× generation) is not for the tests
        asked.append(options)
        raise BenchError("stopped by the test")

    monkeypatch.setattr(bench_command, "run_bench", run_bench)
    with pytest.raises(CommandError, match="stopped by the test"):
        call_command("bench", "--fraction", fraction, "--output", "", "--only", "P6")
    assert [(o.scale, o.fraction) for o in asked] == [("national", float(fraction))]


@pytest.mark.parametrize("fraction", ["0", "-1", "20.5"])
def test_it_refuses_a_fraction_out_of_range(fraction):
    with pytest.raises(CommandError, match="above 0 and at most 20"):
        call_command("bench", "--fraction", fraction, "--output", "")


def test_a_child_process_reports_its_own_peak_not_its_parents():
    parent = bytearray(300 * 1024 * 1024)  # this process's peak: at least 300 MB
    parent[::4096] = b"\x01" * len(parent[::4096])
    assert peak_mb() >= 300
    child = subprocess.run(
        [sys.executable, "-c", "import resource; from operations.bench.graph import peak_mb; "
         "print(peak_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
        capture_output=True, text=True, cwd=ROOT, check=True)
    own, inherited = map(float, child.stdout.split())
    assert inherited >= 300  # what the row used to report
    assert own < 100         # a bare interpreter
    del parent
