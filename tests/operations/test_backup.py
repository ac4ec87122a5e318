"""Backups: dump, drop, restore, and find the same rows and the same report results."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cooperatives.models import CooperationLink, Organisation
from reports.models import ReportRun
from reports.tasks import run_report

from ..celery_worker import requires_services
from ..factories import LinkFactory, OrganisationFactory

pytestmark = [requires_services(), pytest.mark.django_db(transaction=True)]


def _snapshot():
    return {
        "organisations": Organisation.objects.count(),
        "links": CooperationLink.objects.count(),
        "names": list(Organisation.objects.order_by("pk").values_list("name", flat=True)),
        "reports": list(ReportRun.objects.order_by("pk").values_list("result", flat=True)),
    }


def test_it_dumps_drops_and_restores_the_same_data(tmp_path, org_a, org_b, commune_a,
                                                   cassava):
    third = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    LinkFactory(source=org_a, target=third)
    run = ReportRun.objects.create(kind="cooperation", scope=commune_a.pcode,
                                   year=timezone.now().year, commune=commune_a)
    run_report(run.pk)
    before = _snapshot()
    assert before["organisations"] == 3
    assert ReportRun.objects.get(pk=run.pk).result["links"] == 1

    call_command("backup_db", output=str(tmp_path / "reless.dump"))
    with connection.cursor() as cursor:  # drop the data: every registry row goes
        cursor.execute("TRUNCATE cooperatives_organisation, reports_reportrun CASCADE")
    assert Organisation.objects.count() == 0

    call_command("restore_db", str(tmp_path / "reless.dump"), yes=True)
    assert _snapshot() == before
