"""core.json_text: report results kept as PostgreSQL `json`, read and written exactly as
Django's JSONField on `jsonb` would."""

import pytest
from django.db import connection

from reports.models import ReportRun

VALUE = {"text": "123", "number": 7, "list": [1, 2.5, None, True], "nested": {"é": "ü"},
         "empty": {}, "none": None}


def _run(**fields) -> ReportRun:
    return ReportRun(kind=ReportRun.Kind.COOPERATION, year=2026, scope="national",
                     status=ReportRun.Status.DONE, **fields)


@pytest.mark.django_db
def test_a_result_reads_back_as_it_was_written_by_save_and_bulk_create():
    saved = _run(result=VALUE)
    saved.save()
    bulk = ReportRun.objects.bulk_create([_run(result=VALUE), _run(result=[1, "two"]),
                                          _run(result=None)])
    read = dict(ReportRun.objects.values_list("pk", "result"))
    assert read == {saved.pk: VALUE, bulk[0].pk: VALUE, bulk[1].pk: [1, "two"],
                    bulk[2].pk: None}


@pytest.mark.django_db
def test_a_key_of_the_result_keeps_its_json_type():
    """A string that looks like a number stays a string on PostgreSQL (read as text, then
    decoded once; psycopg decoding it first, then Django again, would give 123). Django's
    JSONField on SQLite gives 123 there whatever the field, as it always has."""
    run = _run(result=VALUE)
    run.save()
    row = ReportRun.objects.filter(pk=run.pk).values_list(
        "result__text", "result__number", "result__list", "result__nested", "result__none",
        "result__missing").get()
    text = "123" if connection.vendor == "postgresql" else 123
    assert row == (text, 7, [1, 2.5, None, True], {"é": "ü"}, None, None)


@pytest.mark.django_db
def test_on_postgresql_the_column_is_json_compressed_with_lz4():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps JSON as text")
    with connection.cursor() as cursor:
        cursor.execute("SELECT format_type(atttypid, atttypmod), attcompression "
                       "FROM pg_attribute WHERE attrelid = 'reports_reportrun'::regclass "
                       "AND attname = 'result'")
        assert cursor.fetchone() == ("json", "l")
