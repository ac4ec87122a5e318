"""P6 in a process of its own: the national cooperation graph's metrics, timed, with the
process's peak memory. Run as `python -m operations.bench.graph YYYY-MM-DD`; prints one JSON
line.

"Graph metrics" are the national figures of the cooperation report (components, largest
component, density, isolated) from the registry: fetching the counted links and the
organisations, building the graph and labelling its components, as
`reports.cooperation.cooperation_national` does before its per-commune part."""

import json
import resource
import sys
import time
from datetime import date


def peak_mb() -> float:
    """This process's own peak resident memory: Linux's VmHWM, which belongs to the address
    space the exec created. `ru_maxrss` is not used where VmHWM exists: across fork and exec
    it keeps the parent's peak when that was higher (the bench's parent holds the dataset),
    so a small child reported the parent's figure."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(on: date) -> dict:
    # Imported here, after django.setup() in main(); the report module is reports.cooperation.
    from reports import cooperation as reports
    from reports.registry import RegistryNow

    before = peak_mb()
    started = time.perf_counter()
    snapshot_class = getattr(reports, "_Snapshot", None)
    if snapshot_class is not None and hasattr(snapshot_class, "national_figures"):
        snapshot = snapshot_class.load(on, None, RegistryNow(on))
        loaded = time.perf_counter()
        figures = snapshot.national_figures()
        what = "reports.cooperation._Snapshot.load + national_figures"
    else:  # the graph part moved: time the whole national report
        figures = {k: v for k, v in reports.cooperation_national(on=on).items()
                   if k != "communes"}
        loaded = time.perf_counter()
        what = "reports.cooperation.cooperation_national"
    done = time.perf_counter()
    return {
        "what": what, "seconds": done - started, "load_seconds": loaded - started,
        "graph_seconds": done - loaded, "peak_mb": peak_mb(), "peak_before_mb": before,
        "links": figures.get("links"), "components": figures.get("components"),
        "largest_component": figures.get("largest_component"),
        "isolated": figures.get("isolated"), "active_organisations":
            figures.get("active_organisations"), "pairs": figures.get("pairs"),
    }


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reless_platform.settings")
    django.setup()
    print("BENCH_JSON " + json.dumps(measure(date.fromisoformat(sys.argv[1]))), flush=True)


if __name__ == "__main__":
    main()
