"""P8: a generated 50,000-row CSV file imported into one commune through
`cooperatives.imports.import_organisations` (looked up at run time), rows per second.

The file is what a CTD agent would upload: the template's French headers, semicolons, a
byte-order mark, every row a new organisation of the commune (half of them cooperatives with
an RSC number). The import runs for real (checks, bulk writes, history, duplicate flags)
inside a transaction that is rolled back, so the national dataset is unchanged afterwards; a
dry run (checks only) is timed too."""

import importlib
import random
import time
import uuid

from django.db import transaction

HEADERS = ["nom", "sigle", "forme_juridique", "numero_rsc", "date_rsc", "commune", "localite",
           "filiere_principale", "autres_filieres", "statut", "membres", "femmes", "jeunes",
           "employes", "capital_social", "membre_reless_depuis", "contact_nom",
           "contact_telephone", "contact_email"]
WORDS = ["Espoir", "Solidarité", "Entraide", "Avenir", "Vaillants", "Bâtisseurs", "Lumière",
         "Renouveau", "Progrès", "Pionniers", "Unité", "Dynamiques", "Battants", "Élan",
         "Harmonie", "Confiance", "Réveil", "Travail", "Prospérité", "Concorde"]
PEOPLE = ["Mbarga", "Kamga", "Hamadou", "Ekwalla", "Ngwa", "Fotso", "Atangana", "Moussa",
          "Tanyi", "Essomba", "Djoumessi", "Bouba", "Ngando", "Ayuk", "Onana", "Tchinda"]
PLACES = ["Nkolbisson", "Bafoussam", "Maroua", "Mbalmayo", "Kumba", "Dschang", "Garoua",
          "Ebolowa", "Bertoua", "Foumban", "Limbe", "Kribi", "Mokolo", "Sangmélima"]


class ImportUnavailable(Exception):
    pass


def importer():
    """`import_organisations`, or ImportUnavailable when the module is not there (yet)."""
    try:
        module = importlib.import_module("cooperatives.imports")
    except ImportError as error:
        raise ImportUnavailable(str(error)) from error
    function = getattr(module, "import_organisations", None)
    if function is None:
        raise ImportUnavailable("cooperatives.imports has no import_organisations")
    return module, function


def csv_file(pcode: str, rows: int, seed: int = 1) -> bytes:
    """`rows` new organisations of the commune as a CSV file (UTF-8, BOM, semicolons)."""
    from cooperatives.models import LegalForm
    from sectors.models import Filiere

    rng = random.Random(seed)
    codes = list(Filiere.objects.order_by("code").values_list("code", flat=True))
    tag = uuid.uuid4().hex[:6].upper()
    forms = [(LegalForm.GIC, 42), (LegalForm.SCOOPS, 30), (LegalForm.COOP_CA, 7),
             (LegalForm.ASSOCIATION, 15), (LegalForm.OTHER, 6)]
    lines = [";".join(HEADERS)]
    for i in range(rows):
        form = rng.choices([f for f, _ in forms], weights=[w for _, w in forms])[0]
        members = rng.randint(15, 120)
        primary, other = rng.sample(codes, 2)
        name = (f"{form.label.split(' (')[0]} {rng.choice(WORDS)} {rng.choice(PEOPLE)} "
                f"{rng.choice(PLACES)} {tag}-{i:05d}")
        cooperative = form in (LegalForm.SCOOPS, LegalForm.COOP_CA)
        phone = f"+237 6{rng.randint(50, 99)} {rng.randint(0, 999):03d} {i % 1000:03d}"
        lines.append(";".join([
            name, "", form.value,
            f"CM-BENCH-{tag}-{i:05d}" if cooperative else "",
            f"20{rng.randint(15, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            if cooperative else "",
            pcode, rng.choice(PLACES), primary, other if rng.random() < 0.4 else "", "active",
            str(members), str(rng.randint(0, members)), str(rng.randint(0, members)),
            str(rng.randint(0, 5)), str(rng.randint(0, 2_000_000)), "",
            f"{rng.choice(PEOPLE)} {rng.choice(WORDS)}", phone, "",
        ]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


class _Rollback(Exception):
    pass


def measure(*, user, commune, rows: int) -> dict:
    """Rows per second of a dry run and of a real import (rolled back)."""
    _module, import_organisations = importer()
    # A running server has loaded what the import's signals wake (the report tasks and
    # scipy); a fresh process would otherwise time those imports too.
    importlib.import_module("reports.tasks")
    content = csv_file(commune.pcode, rows)
    timings = {}
    started = time.perf_counter()
    checked = import_organisations(user=user, commune=commune, rows=content,
                                   file_name="bench.csv", dry_run=True)
    timings["dry_run_seconds"] = time.perf_counter() - started
    imported = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            imported = import_organisations(user=user, commune=commune, rows=content,
                                            file_name="bench.csv", dry_run=False)
            timings["import_seconds"] = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    errors = list(getattr(imported, "errors", []) or [])
    return {
        "rows": rows, "bytes": len(content), **timings,
        "dry_run_rows_per_s": rows / timings["dry_run_seconds"],
        "import_rows_per_s": rows / timings["import_seconds"],
        "created": len(getattr(imported, "created", []) or []),
        "written": bool(getattr(imported, "written", False)),
        "errors": len(errors), "dry_run_errors": len(getattr(checked, "errors", []) or []),
        "first_errors": [str(getattr(e, "message", e)) + f" (line {getattr(e, 'line', '?')}, "
                         f"column {getattr(e, 'column', '?')})" for e in errors[:5]],
    }


def main() -> None:
    """`python -m operations.bench.csv_import USER_ID COMMUNE_ID ROWS`: one JSON line
    (BENCH_JSON)."""
    import json
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reless_platform.settings")
    django.setup()
    from accounts.models import User
    from communes.models import Commune

    user = User.objects.get(pk=int(sys.argv[1]))
    commune = Commune.objects.get(pk=int(sys.argv[2]))
    try:
        data = measure(user=user, commune=commune, rows=int(sys.argv[3]))
    except ImportUnavailable as error:
        data = {"unavailable": str(error)}
    print("BENCH_JSON " + json.dumps(data), flush=True)


if __name__ == "__main__":
    main()
