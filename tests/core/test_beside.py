"""core.beside: a read on a connection of its own, where that connection sees the same rows."""

import threading

import pytest
from django.db import connection, transaction

from communes.models import Commune
from core.beside import read_beside


def _reader():
    """The commune P-codes and the thread and database session that read them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql"
                       else "SELECT 0")
        session = cursor.fetchone()[0]
    return (sorted(Commune.objects.values_list("pcode", flat=True)),
            threading.get_ident(), session)


def _session() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql"
                       else "SELECT 0")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_on_postgresql_it_reads_on_its_own_thread_and_session(
        commune_a, commune_b):
    pcodes, thread, session = read_beside(_reader)()
    assert pcodes == sorted([commune_a.pcode, commune_b.pcode])
    if connection.vendor == "postgresql":
        assert thread != threading.get_ident() and session != _session()
    else:  # SQLite: at once, here
        assert thread == threading.get_ident()


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_it_reads_here_and_sees_the_uncommitted_rows(commune_a):
    with transaction.atomic():
        Commune.objects.filter(pk=commune_a.pk).update(pcode="CM999999")
        pcodes, thread, session = read_beside(_reader)()
        assert pcodes == ["CM999999"]
        assert thread == threading.get_ident() and session == _session()


@pytest.mark.django_db(transaction=True)
def test_its_error_reaches_the_caller(commune_a):
    def fails():
        Commune.objects.get(pcode="nowhere")

    result = read_beside(fails)
    with pytest.raises(Commune.DoesNotExist):
        result()
