"""The read replica's routing (core/replica.py): with `REPLICA_DATABASE` set, the ministries'
reads of aggregated figures (aggregates, stored reports, ILO statistics) go to the replica
after authentication; sessions, tokens, writes, every other view and the aggregates' summary
refresh stay on the primary; without it, no query goes to the replica. The replica here is a
second connection to the test database (a test mirror), so what each connection ran is seen."""

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperatives import summaries
from cooperatives.models import AggregateDirty, Organisation
from core.replica import ReplicaRouter, primary_reads, replica_reads
from reports.models import ReportRun

from ..api_helpers import api_client
from ..factories import OrganisationFactory

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
              pytest.mark.usefixtures("fresh_cache")]
REPLICA = override_settings(REPLICA_DATABASE="replica")


def _queries(client, method: str, path: str, **kwargs):
    with (CaptureQueriesContext(connections["default"]) as primary,
          CaptureQueriesContext(connections["replica"]) as replica):
        response = getattr(client, method)(path, **kwargs)
    return response, [q["sql"] for q in primary], [q["sql"] for q in replica]


def _touching(queries: list[str], table: str) -> list[str]:
    return [sql for sql in queries if f'"{table}"' in sql]


@pytest.fixture
def registry(org_a, commune_a, cassava):
    OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=20)
    summaries.refresh()
    return commune_a


def test_the_router_sends_reads_to_the_replica_only_inside_the_context():
    router = ReplicaRouter()
    with REPLICA:
        assert router.db_for_read(Organisation) == "default"
        with replica_reads():
            assert router.db_for_read(Organisation) == "replica"
            assert router.db_for_write(Organisation) == "default"
            with primary_reads():
                assert router.db_for_read(Organisation) == "default"
            assert router.db_for_read(Organisation) == "replica"
        assert router.db_for_read(Organisation) == "default"
    with replica_reads():  # no replica configured: the primary
        assert router.db_for_read(Organisation) == "default"
    assert router.allow_migrate("default", "cooperatives") is True
    assert router.allow_migrate("replica", "cooperatives") is False


def test_aggregates_read_the_replica_after_authenticating_on_the_primary(registry, analyst):
    client = api_client(analyst)
    path = "/api/v1/aggregates/?level=commune&by=legal_form"
    with REPLICA:
        response, primary, replica = _queries(client, "get", path)
    assert response.status_code == 200
    cache.clear()  # the same figures computed on the primary alone
    expected = client.get(path).json()
    assert response.json() == expected
    assert expected["results"][0]["organisations"] == 2
    assert not [sql for sql in replica if '"accounts_' in sql or '"django_session"' in sql]
    assert _touching(replica, "cooperatives_aggregatesummary")
    assert not _touching(primary, "cooperatives_aggregatesummary")


def test_the_summary_refresh_after_an_edit_runs_on_the_primary(registry, analyst, org_a):
    Organisation.objects.filter(pk=org_a.pk).update(members_total=33)
    summaries.mark_pcodes([registry.pcode])
    assert AggregateDirty.objects.count() == 1
    with REPLICA:
        response, primary, replica = _queries(
            api_client(analyst), "get", "/api/v1/aggregates/?level=commune&by=legal_form")
    assert response.status_code == 200
    assert response.json()["results"][0]["members"] == 53
    assert _touching(primary, "cooperatives_aggregatedirty")
    if connections["default"].features.has_select_for_update_skip_locked:
        assert any("FOR UPDATE" in sql
                   for sql in _touching(primary, "cooperatives_aggregatedirty"))
    assert not _touching(replica, "cooperatives_aggregatedirty")
    assert AggregateDirty.objects.count() == 0


def test_stored_reports_and_ilo_statistics_read_the_replica(registry, analyst):
    now = timezone.now()
    ReportRun.objects.create(kind="convergence", commune=registry, scope=registry.pcode,
                             year=now.year, status=ReportRun.Status.DONE, started_at=now,
                             finished_at=now, result={"rows": []})
    client = api_client(analyst)
    with REPLICA:
        response, primary, replica = _queries(
            client, "get", f"/api/v1/reports/convergence/?commune={registry.pcode}")
        assert response.status_code == 200, response.content
        assert response.json()["result"] == {"rows": []}
        assert _touching(replica, "reports_reportrun")
        assert not _touching(primary, "reports_reportrun")
        response, primary, replica = _queries(client, "get", "/api/v1/statistics/ilo/")
        assert response.status_code == 200
        assert _touching(replica, "cooperatives_organisation")


def test_writes_and_other_views_stay_on_the_primary(registry, agent_a, org_a, analyst):
    with REPLICA:
        response, primary, replica = _queries(
            api_client(agent_a), "patch", f"/api/v1/organisations/{org_a.pk}/",
            data={"members_total": 12}, format="json")
        assert response.status_code == 200, response.content
        assert replica == []
        response, primary, replica = _queries(
            api_client(agent_a), "post", "/api/v1/reports/convergence/runs/",
            data={"commune": registry.pcode}, format="json")
        assert response.status_code in (201, 202), response.content
        assert replica == []
        response, primary, replica = _queries(api_client(analyst), "get",
                                              "/api/v1/organisations/")
        assert response.status_code == 200
        assert replica == []


def test_without_a_replica_nothing_reads_it(registry, analyst):
    response, primary, replica = _queries(
        api_client(analyst), "get", "/api/v1/aggregates/?level=region&by=ministry")
    assert response.status_code == 200
    assert replica == []
    assert sum(row["organisations"] for row in response.json()["results"]) == 2


def test_an_error_in_a_marked_view_leaves_the_next_request_on_the_primary(registry, analyst):
    client = api_client(analyst)
    with REPLICA:
        response, _primary, replica = _queries(client, "get",
                                               "/api/v1/reports/convergence/?commune=CM999999")
        assert response.status_code == 404
        response, primary, replica = _queries(client, "get", "/api/v1/organisations/")
        assert response.status_code == 200 and replica == []
