"""The aggregates' summary rows (cooperatives.summaries): summed, they equal the grouped query
over every organisation, at every level and grouping, after every kind of write; only the
communes a write touched are recomputed; a commune whose mark a writing transaction holds is
counted live."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cooperatives import services, summaries
from cooperatives.models import AggregateDirty, AggregateSummary, Organisation
from cooperatives.selectors import GROUPINGS, LEVELS, organisation_aggregates
from cooperatives.signals import organisations_bulk_changed

from ..api_helpers import api_client, build_registry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def registry(org_a, org_b, commune_a, commune_c, maize, cassava, poultry):
    return build_registry(commune_a=commune_a, commune_c=commune_c, maize=maize,
                          cassava=cassava, poultry=poultry)


def _assert_equal_everywhere(commune_ids=None):
    organisations = Organisation.objects.all()
    if commune_ids is not None:
        organisations = organisations.filter(commune_id__in=commune_ids)
    for language in ("fr", "en"):
        with translation.override(language):
            for level in LEVELS:
                for by in GROUPINGS:
                    assert summaries.summed_aggregates(
                        commune_ids=commune_ids, level=level, by=by) == organisation_aggregates(
                        organisations, level=level, by=by), (language, level, by)


def _dirty() -> set[str]:
    return set(AggregateDirty.objects.values_list("commune__pcode", flat=True))


def test_summed_rows_equal_the_grouped_query_at_every_level_and_grouping(registry, commune_a):
    _assert_equal_everywhere()
    assert _dirty() == set()
    assert AggregateSummary.objects.filter(commune=commune_a, by="ministry").count() == 2
    _assert_equal_everywhere(commune_ids={commune_a.pk})


def test_an_edit_marks_its_commune_only_and_the_next_read_recomputes_it(registry, agent_a,
                                                                       org_a, commune_a):
    _assert_equal_everywhere()
    services.organisation_update(user=agent_a, organisation=org_a, members_total=99,
                                 status="dormant")
    assert _dirty() == {commune_a.pcode}
    with CaptureQueriesContext(connection) as captured:
        rows = summaries.summed_aggregates(commune_ids=None, level="region", by="status")
    # the dirty marks; in a savepoint: their lock, the communes' P-codes, one grouped query
    # per grouping (5), the swap of the commune's rows (delete, insert), the marks' delete;
    # then the sum with the regions' names (a status needs no name query)
    assert len(captured) == 16, [q["sql"] for q in captured]
    assert rows == organisation_aggregates(Organisation.objects.all(), level="region",
                                           by="status")
    assert _dirty() == set()
    _assert_equal_everywhere()


def test_filieres_moves_bulk_writes_and_reference_changes_keep_them_equal(
        registry, agent_a, org_a, commune_a, commune_c, maize, poultry, agriculture):
    _assert_equal_everywhere()
    services.organisation_update(user=agent_a, organisation=org_a, filieres=[maize, poultry])
    _assert_equal_everywhere()
    # moved to another commune (by an admin's write: the old and the new commune change)
    org_a.commune = commune_c
    org_a.save()
    assert _dirty() == {commune_a.pcode, commune_c.pcode}
    _assert_equal_everywhere()
    # a bulk write, without post_save
    Organisation.objects.filter(commune=commune_c).update(employees=17)
    organisations_bulk_changed.send(sender=Organisation, commune_ids=[commune_c.pk])
    assert _dirty() == {commune_c.pcode}
    _assert_equal_everywhere()
    # the reference data: poultry moves to the agriculture sector (another ministry)
    poultry.sector = agriculture
    poultry.save()
    assert len(_dirty()) == 3  # every commune
    _assert_equal_everywhere()


def test_a_rolled_back_write_leaves_no_mark(registry, agent_a, org_a):
    _assert_equal_everywhere()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.organisation_update(user=agent_a, organisation=org_a, members_total=5)
        raise RuntimeError
    assert _dirty() == set()


def test_the_api_reads_the_summaries_without_filters_and_the_query_with_them(
        registry, analyst, org_a, agent_a):
    services.organisation_update(user=agent_a, organisation=org_a, members_total=41)
    client = api_client(analyst)
    plain = client.get("/api/v1/aggregates/", {"level": "department", "by": "ministry"})
    assert plain.status_code == 200
    assert plain.json()["results"] == organisation_aggregates(
        Organisation.objects.all(), level="department", by="ministry")
    assert _dirty() == set()  # the read refreshed the edited commune
    filtered = client.get("/api/v1/aggregates/", {"level": "region", "by": "ministry",
                                                  "legal_form": "gic"})
    assert filtered.json()["results"] == organisation_aggregates(
        Organisation.objects.filter(legal_form="gic"), level="region", by="ministry")
    region = client.get("/api/v1/aggregates/", {"level": "commune", "by": "filiere",
                                                "region": org_a.commune.department.region.pcode})
    assert region.json()["results"] == organisation_aggregates(
        Organisation.objects.filter(commune__department__region=org_a.commune.department.region),
        level="commune", by="filiere")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_commune_a_writing_transaction_holds_is_counted_live_and_stays_marked(
        registry, agent_a, org_a, commune_a):
    _assert_equal_everywhere()
    # A plain UPDATE (the database's trigger marks commune A): an edit through the services
    # would also refresh A's reports, whose convergence reads A's summary, refreshing it.
    Organisation.objects.filter(pk=org_a.pk).update(members_total=60)
    marked, release = threading.Event(), threading.Event()

    def writer():  # another connection marks commune A and holds its transaction open
        try:
            with transaction.atomic():
                summaries.mark_pcodes([commune_a.pcode])
                marked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    assert marked.wait(10)
    try:
        rows = summaries.summed_aggregates(commune_ids=None, level="commune", by="status")
        assert rows == organisation_aggregates(Organisation.objects.all(), level="commune",
                                               by="status")  # members 60 counted live
        assert not AggregateSummary.objects.filter(commune=commune_a, by="status",
                                                   members__gte=60).exists()
    finally:
        release.set()
        thread.join()
    assert _dirty() == {commune_a.pcode}  # still to recompute: the writer's mark stands
    _assert_equal_everywhere()
    assert _dirty() == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers: PostgreSQL")
def test_the_database_marks_the_communes_of_writes_made_past_the_application(
        registry, org_a, org_b, commune_a, commune_c, poultry):
    """SQL typed past the application (no signal, no application mark) still leaves its
    communes to recompute: the triggers mark the old and new commune of an UPDATE and the
    commune of a filière inserted or deleted; the next figures read count the change."""
    _assert_equal_everywhere()
    assert _dirty() == set()
    table, memberships = Organisation._meta.db_table, "cooperatives_organisationfiliere"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET members_total = members_total + 1 WHERE id = %s",
                       [org_b.pk])
        assert _dirty() == {org_b.commune.pcode}
        cursor.execute(f"UPDATE {table} SET commune_id = %s WHERE id = %s",
                       [commune_c.pk, org_a.pk])
        assert _dirty() == {org_b.commune.pcode, commune_a.pcode, commune_c.pcode}
        _assert_equal_everywhere()  # refreshed: nothing dirty is left
        assert _dirty() == set()
        cursor.execute(f"INSERT INTO {memberships} (organisation_id, filiere_id) VALUES (%s, %s)",
                       [org_b.pk, poultry.pk])
        assert _dirty() == {org_b.commune.pcode}
        _assert_equal_everywhere()
        cursor.execute(f"DELETE FROM {memberships} WHERE organisation_id = %s AND filiere_id = %s",
                       [org_b.pk, poultry.pk])
        assert _dirty() == {org_b.commune.pcode}
        cursor.execute(f"UPDATE {table} SET status = 'dormant' WHERE id = %s",
                       [registry["c1"].pk])
        assert _dirty() == {org_b.commune.pcode, commune_c.pcode}
    _assert_equal_everywhere()
