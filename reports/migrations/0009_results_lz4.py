"""The frozen copies of a closed year (every commune's registry and reports, written at the
closure) compressed with lz4, as the runs' results have been since 0006.

pglz is the slower of the two to write and to read for these large JSON values: storing a
national recompute's results, measured again on the national dataset, took PostgreSQL
0.28-0.33 s with pglz against 0.16 s with lz4 for the two national results, and 0.17-0.22
against 0.10 s for 360 commune results. Values already stored keep their compression until
rewritten. PostgreSQL only, and only where the server was built with lz4 (Debian's and the
official images are); elsewhere nothing changes.
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

COLUMNS = (
    ("reports_frozenreport", "result"),
    ("reports_frozenregistry", "organisations"),
    ("reports_frozenregistry", "links"),
)


def compression(method):
    def apply(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        for table, column in COLUMNS:
            try:
                with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                    cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" '
                                   f"SET COMPRESSION {method}")
            except DatabaseError:  # a server built without lz4 keeps pglz
                return
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0008_run_history_indexes"),
    ]

    operations = [
        migrations.RunPython(compression("lz4"), compression("default"), elidable=False),
    ]
