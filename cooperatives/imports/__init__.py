"""Import of organisations into a commune's registry from CSV or XLSX (or rows of dicts).

Columns: the template's French headers (nom, sigle, forme_juridique, numero_rsc, date_rsc,
commune, localite, filiere_principale, autres_filieres, statut, membres, femmes, jeunes,
employes, capital_social, membre_reless_depuis, contact_nom, contact_telephone,
contact_email, contact_consentement) or their English names; case, accents, spaces and
underscores do not matter. contact_consentement (papier, en personne) records the contact
person's consent with the row; without it a contact is kept hidden.
Only `nom` is required as a column. The commune is a P-code or a name (empty: the import's
commune); filières, legal forms and statuses are codes or labels in French or English; dates
are YYYY-MM-DD or DD/MM/YYYY; numbers may carry thousands separators.

Matching, per row:

- a row whose RSC number (compared without case, spaces or punctuation) belongs to one
  organisation of the commune UPDATES it, when the names agree (see `names_agree`); its empty
  cells leave the current values unchanged;
- a row is REFUSED as ambiguous when its RSC number belongs to several organisations, or to
  one whose name differs strongly; when it has no RSC number and an organisation of the
  commune already has the same name (normalised as for duplicates); or when it has a new RSC
  number and an organisation of the commune with the same name has none (attach the number
  to that organisation by hand, or give the row another name);
- a row is REFUSED as outside the uploader's commune when its commune is another one or its
  RSC number belongs to an organisation of another commune;
- any other row CREATES an organisation (legal form and primary filière are then required).

The model's rules are checked in Python, row by row, against preloaded dictionaries (no
query per row): lengths, women and under-35 members <= members, a SCOOPS >= 5 members, a
COOP-CA >= 15, unique RSC numbers (within the file too), valid email. Every bad row is
reported (line as a spreadsheet numbers it, the header being line 1; column as written in
the file; reason in the user's language). An import is all or nothing: with one bad row
nothing is written. The writes, in one transaction, are bulk inserts (COPY on PostgreSQL,
executemany on SQLite) and `UPDATE … FROM (VALUES …)` of the changed columns, each row with
the history row simple_history would write (the uploader as author, reason "import") and,
as `organisation_create` does, a registration event for each new organisation with an RSC
number; then the possible duplicates of the rows written are flagged and
`cooperatives.signals.organisations_bulk_changed` is sent (bulk rows send no `post_save`).

Modules: `reading` (the file as a table, its header, numbers and dates; shared with the PCD
grid import), `spreadsheets` and `child` (the CSV/XLSX reader, its limits, reading under a
memory limit), `columns` (the organisation file's columns and lookups), `matching` (which
organisation a row designates), `checking` (every row checked: a plan), `writing` (the plan
written in bulk through core.bulk), `service` (`import_organisations`: read, check, write),
`templates` (the empty files), `jobs` (an upload recorded and queued), `tasks` (the Celery
task) and `worker` (a job run, its outcome recorded). Views, the API and other apps import
from this package only: the names below.
"""

from .child import read_table_in_child
from .columns import TEMPLATE_HEADERS
from .jobs import get_import_job_for_user, import_job_confirm, import_job_create
from .matching import organisations_by_rsc
from .reading import MAX_BYTES, MAX_ROWS, header_aliases, normalize, read_header, table_problem
from .results import ImportResult, RowError
from .service import import_organisations
from .spreadsheets import MB, Limits, OutOfMemory, UnreadableFile, check_upload, read_table
from .templates import csv_template, template_csv, template_xlsx, xlsx_template
from .worker import import_job_run

__all__ = [
    "MAX_BYTES", "MAX_ROWS", "MB", "TEMPLATE_HEADERS", "ImportResult", "Limits", "OutOfMemory",
    "RowError", "UnreadableFile", "check_upload", "csv_template", "get_import_job_for_user",
    "header_aliases", "import_job_confirm", "import_job_create", "import_job_run",
    "import_organisations", "normalize", "organisations_by_rsc", "read_header", "read_table",
    "read_table_in_child", "table_problem", "template_csv", "template_xlsx", "xlsx_template",
]
