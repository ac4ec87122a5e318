"""A hand-written baseline for P4: both reports whole, as PRODUCT.md defines them ("The two
reports"), for every commune, department and region and the country, computed by the fastest
honest route we could write, beside the platform's national recompute; the benchmark
compares every value it computes with the stored runs.

What it computes, for the current year:

- convergence: each commune × ministry cell's ten figures and state, each commune's score
  and unmet needs (each priority need with no active organisation of its sector in the
  commune, with the three nearest communes that have one, their distance and how many they
  have), and the departments', regions' and country's totals (each ministry's figures and
  states, the states, the score, the unmet needs);
- cooperation: each commune's figures and links by kind, its opportunities (the first 20
  unlinked pairs sharing a filière in report order, with their combined members and shared
  filières) and its organisations outside unions per filière; the country's graph figures.

What the platform's runs hold that it leaves out: names (organisations', communes', the
needs' text), an opportunity's suggested kind, the ids of isolated organisations (their
count is computed), and writing the results: the baseline keeps them as numpy arrays,
turned into the runs' shape by `baseline_compare.compare` after the clock has stopped. The
reads are here, the computation in `baseline_reports`.

How it is fast (docs/performance.md, "P4's baseline"):

- Flat reads, no temporary tables: each table is read once, its integer columns packed by
  the database into one binary value per read (`int4send`, `string_agg`) that numpy reads
  in place: no text parsing, no Python object per row (COPY sends a message per row, and
  reading 643k of them costs more in Python than the query). Plain SELECTs over whole
  tables, which PostgreSQL may scan in parallel; the small grouped figures (needs,
  interventions, beneficiaries) stay SQL.
- As many connections as the platform uses processes (its worker runs two): the reads go
  out on two threads, each with its own connection, while the other thread computes.
- One grouped pass per figure in numpy: every per-commune count is one `bincount` over an
  int key; distinct pairs are one sort of int64 keys; a link's "shared filière" test is an
  AND of two per-organisation 64-bit filière masks; the components are scipy's
  `connected_components` (once over the internal links, whose components never leave a
  commune, once over the country); the opportunities are generated among each filière
  group's largest organisations only, as far as proves them the first
  (`baseline_reports._opportunities`); the nearest communes are one distance matrix
  ordered once.

Definitions as in PRODUCT.md ("The two reports"): a link counts when confirmed, started and
not ended on the report date; active is the status now (the baseline is the current year's);
the year selects the latest validated diagnostic with year <= Y and the interventions
overlapping Y.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
from django.db import connection

from .baseline_reports import KINDS, Data, convergence, cooperation

PRIORITY_RANKS = 3
THREADS = 2  # the platform's report worker runs two processes (`celery worker -c 2`)

_KIND_CASE = ("CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS[:-1]))
              + f" ELSE {len(KINDS) - 1} END")
# The diagnostic each commune's report selects for the year.
_SELECTED = """
        WITH selected AS (
            SELECT DISTINCT ON (commune_id) id, commune_id
            FROM diagnostics_territorialdiagnostic
            WHERE status = 'validated' AND year <= %(year)s
            ORDER BY commune_id, year DESC, id DESC)"""
READS = {
    "organisations": """
        SELECT id, commune_id, (status = 'active')::int4, members_total, members_women,
               members_youth,
               (legal_form NOT IN ('union', 'federation') AND parent_union_id IS NULL)::int4
        FROM cooperatives_organisation""",
    "memberships": """
        SELECT organisation_id, filiere_id FROM cooperatives_organisationfiliere""",
    # The kind as its position in KINDS (any other kind is "other").
    "links": f"""
        SELECT source_id, target_id, {_KIND_CASE}
        FROM cooperatives_cooperationlink
        WHERE status = 'confirmed' AND (start_date IS NULL OR start_date <= %(on)s)
          AND (end_date IS NULL OR end_date > %(on)s)""",
    "filieres": """
        SELECT f.id, s.ministry_id, f.sector_id FROM sectors_filiere f
        JOIN sectors_sector s ON s.id = f.sector_id""",
    "priorities": f"""
        {_SELECTED}
        SELECT e.id, d.commune_id, e.priority_rank, e.sector_id
        FROM selected d JOIN diagnostics_diagnosticentry e ON e.diagnostic_id = d.id
        WHERE e.priority_rank <= {PRIORITY_RANKS}""",
}

SMALL = {
    "needs": f"""
        {_SELECTED}
        SELECT d.commune_id, s.ministry_id, count(*),
               count(*) FILTER (WHERE e.priority_rank <= 3)
        FROM selected d
        JOIN diagnostics_diagnosticentry e ON e.diagnostic_id = d.id
        JOIN sectors_sector s ON s.id = e.sector_id
        GROUP BY d.commune_id, s.ministry_id""",
    "interventions": """
        SELECT commune_id, ministry_id, count(*)
        FROM diagnostics_intervention
        WHERE start_date < %(next_year)s AND (end_date IS NULL OR end_date >= %(year_start)s)
        GROUP BY commune_id, ministry_id""",
    "beneficiaries": """
        SELECT i.commune_id, i.ministry_id, count(DISTINCT b.organisation_id)
        FROM diagnostics_intervention i
        JOIN diagnostics_intervention_beneficiaries b ON b.intervention_id = i.id
        WHERE i.start_date < %(next_year)s
          AND (i.end_date IS NULL OR i.end_date >= %(year_start)s)
        GROUP BY i.commune_id, i.ministry_id""",
    "programmes": """
        SELECT pc.commune_id, p.ministry_id, count(DISTINCT p.id)
        FROM support_programme p
        JOIN support_programme_communes pc ON pc.programme_id = p.id
        WHERE p.owner_type = 'ministry' AND p.start_date < %(next_year)s
          AND (p.end_date IS NULL OR p.end_date >= %(year_start)s)
        GROUP BY pc.commune_id, p.ministry_id""",
    "enrolled": """
        SELECT o.commune_id, p.ministry_id, count(DISTINCT e.organisation_id)
        FROM support_enrolment e
        JOIN support_programme p ON p.id = e.programme_id
        JOIN cooperatives_organisation o ON o.id = e.organisation_id
        WHERE p.owner_type = 'ministry' AND p.start_date < %(next_year)s
          AND (p.end_date IS NULL OR p.end_date >= %(year_start)s)
          AND e.start_date < %(next_year)s
          AND (e.end_date IS NULL OR e.end_date >= %(year_start)s)
        GROUP BY o.commune_id, p.ministry_id""",
    "communes": """
        SELECT c.id, c.pcode, c.latitude, c.longitude, d.pcode, r.pcode
        FROM communes_commune c JOIN communes_department d ON d.id = c.department_id
        JOIN communes_region r ON r.id = d.region_id""",
    "ministries": "SELECT id, acronym FROM sectors_ministry",
    "sectors": "SELECT id, code, ministry_id FROM sectors_sector",
    "filiere_codes": "SELECT id, code FROM sectors_filiere",
}


def _int_rows(sql: str, params: dict, width: int) -> np.ndarray:
    """The rows of an all-integer query as an (n, width) int64 array, in one value: the
    database packs every row's int4 columns into one bytea (big-endian), which numpy reads
    in place: no text parsing, no Python object or message per row. Columns go two at a
    time as one `int8send` (high half, low half: the bytes of two `int4send`), half the
    calls and concatenations."""
    columns = [f"c{i}" for i in range(width)]
    pairs = [f"int8send(({a}::int4::int8 << 32) | ({b}::int4::int8 & 4294967295))"
             for a, b in zip(columns[::2], columns[1::2], strict=False)]
    packed = " || ".join(pairs + ([f"int4send({columns[-1]}::int4)"] if width % 2 else []))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg({packed}, ''::bytea) "
                       f"FROM ({sql}) AS r({', '.join(columns)})", params)
        data = cursor.fetchone()[0]
    if data is None:
        return np.empty((0, width), dtype=np.int64)
    return np.frombuffer(bytes(data), dtype=">i4").astype(np.int64).reshape(-1, width)


def _small(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _in_thread(function, *args):
    """Run on a pool thread with the thread's own connection, closed afterwards."""
    try:
        return function(*args)
    finally:
        connection.close()


def run_baseline(*, year: int, on: date) -> tuple[dict, float]:
    """Both reports' arrays (and the reference rows they are keyed by) and the wall time in
    seconds."""
    started = time.perf_counter()
    params = {"year": year, "year_start": date(year, 1, 1), "next_year": date(year + 1, 1, 1)}
    with ThreadPoolExecutor(THREADS) as pool:
        links = pool.submit(_in_thread, _int_rows, READS["links"], {"on": on}, 3)
        orgs = pool.submit(_in_thread, _int_rows, READS["organisations"], {}, 7)
        memberships = pool.submit(_in_thread, _int_rows, READS["memberships"], {}, 2)
        small = pool.submit(_in_thread, lambda: {
            name: _small(sql, params) for name, sql in SMALL.items()}
            | {"filieres": _int_rows(READS["filieres"], {}, 3),
               "priorities": _int_rows(READS["priorities"], params, 4)})
        data = Data(orgs.result(), memberships.result(), small.result())
        converging = pool.submit(convergence, data)
        cooperating = cooperation(data, links.result())
        result = {"convergence": converging.result(), "cooperation": cooperating,
                  "reference": data.small}
    return result, time.perf_counter() - started
