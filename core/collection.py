"""The garbage collector's thresholds for a computation that builds a great many objects and
keeps many of them until it ends: a national report (every organisation, link and figure of
the country in memory), an export job (each row's entry in the access log).

With CPython's default thresholds (a collection every 700 new objects, a full one every
100 of those or so) such a computation has the collector walk its own growing heap again and
again, though nothing in it is garbage yet: 15 % of the national cooperation report's time
(0.92–0.96 s against 0.79 s at national size, in-process), and of a national CSV export job
(10.8 against 9.3 s). Raised for the computation's length, the collector still runs (memory
stays bounded by what the computation keeps), a hundred times less often; the thresholds are
put back afterwards. The thresholds are the process's: in a Celery worker's process one task
runs at a time.
"""

import gc
from contextlib import contextmanager

# New objects between two collections of the youngest generation (CPython's default: 700),
# and how many of those before the older generations are looked at (10 and 10).
LARGE_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def fewer_collections():
    previous = gc.get_threshold()
    gc.set_threshold(*LARGE_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
