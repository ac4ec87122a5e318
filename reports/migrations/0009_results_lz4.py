"""The reports' large JSON values compressed with lz4 instead of PostgreSQL's default pglz.

A national recompute stores 722 results (about 7 MB of JSON per report kind, the national
ones holding every commune's again); pglz took half of the database's time to store them
(both national results 0.28-0.33 s, 360 commune results 0.17-0.22 s; with lz4 0.16 s and
0.10 s, measured on the national dataset), and lz4 also reads back faster. Values already
stored keep their compression until rewritten. PostgreSQL only, and only where the server
was built with lz4 (Debian's and the official images are); elsewhere nothing changes.
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

COLUMNS = (
    ("reports_reportrun", "result"),
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
        migrations.RunPython(compression("lz4"), compression("pglz"), elidable=False),
    ]
