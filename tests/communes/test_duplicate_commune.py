"""The data migration folding the raw duplicate commune CM009003010 into CM009003009."""

import datetime
import importlib

import pytest
from django.apps import apps

from communes.models import Commune
from cooperatives.models import BureauMember, Reless, Role, RoleAssignment
from diagnostics.models import TerritorialDiagnostic
from reports.models import ReportRun

from ..factories import (
    CommuneFactory,
    DepartmentFactory,
    DiagnosticFactory,
    InterventionFactory,
    OrganisationFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

migration = importlib.import_module("communes.migrations.0002_merge_duplicate_commune")


@pytest.fixture
def ocean():
    department = DepartmentFactory(pcode="CM009003", region=RegionFactory(pcode="CM009"))
    kept = CommuneFactory(pcode="CM009003009", department=department, name_fr="Niete")
    duplicate = CommuneFactory(pcode="CM009003010", department=department, name_fr="Nye'ete")
    return kept, duplicate


def _bureau(reless, name):
    return BureauMember.objects.create(reless=reless, person_name=name, office="president",
                                       mandate_start=datetime.date(2024, 1, 1))


def test_everything_of_the_duplicate_moves_to_the_kept_commune(ocean):
    kept, duplicate = ocean
    organisations = OrganisationFactory.create_batch(3, commune=duplicate)
    OrganisationFactory(commune=kept)
    agent = UserFactory(username="agent.nyeete")
    RoleAssignment.objects.create(user=agent, role=Role.CTD_AGENT, commune=duplicate)
    intervention = InterventionFactory(commune=duplicate)
    draft = DiagnosticFactory(commune=duplicate, year=2024, status="draft")
    clash = DiagnosticFactory(commune=duplicate, year=2025)
    DiagnosticFactory(commune=kept, year=2025)
    theirs = Reless.objects.create(commune=duplicate, name="RELESS Nye'ete")
    ours = Reless.objects.create(commune=kept, name="RELESS Niete")
    _bureau(theirs, "Ada Mbarga")
    ReportRun.objects.create(kind="convergence", commune=duplicate, scope=duplicate.pcode,
                             year=2026, status="done", result={})

    migration.merge_duplicate(apps, None)

    assert not Commune.objects.filter(pcode="CM009003010").exists()
    assert set(kept.organisations.values_list("pk", flat=True)) >= {o.pk for o in organisations}
    assert kept.organisations.count() == 4
    assert RoleAssignment.objects.get(user=agent).commune == kept
    intervention.refresh_from_db()
    assert intervention.commune == kept
    draft.refresh_from_db()
    clash.refresh_from_db()
    assert (draft.commune, draft.status) == (kept, "draft")
    # Two validated diagnostics of one year cannot coexist: the moved one goes back to draft.
    assert (clash.commune, clash.status) == (kept, "draft")
    assert TerritorialDiagnostic.objects.filter(commune=kept, status="validated").count() == 1
    assert list(ours.bureau.values_list("person_name", flat=True)) == ["Ada Mbarga"]
    assert not Reless.objects.filter(pk=theirs.pk).exists()
    assert not ReportRun.objects.filter(scope="CM009003010").exists()
    # The audit history follows the organisations to their commune.
    history = apps.get_model("cooperatives", "HistoricalOrganisation").objects
    assert not history.filter(commune_id=duplicate.pk).exists()
    assert history.filter(commune_id=kept.pk).count() >= 3


def test_the_duplicates_reless_moves_when_the_kept_commune_has_none(ocean):
    kept, duplicate = ocean
    theirs = Reless.objects.create(commune=duplicate, name="RELESS Nye'ete")
    migration.merge_duplicate(apps, None)
    theirs.refresh_from_db()
    assert theirs.commune == kept


def test_a_database_without_the_duplicate_is_unchanged():
    kept = CommuneFactory(pcode="CM009003009")
    OrganisationFactory(commune=kept)
    migration.merge_duplicate(apps, None)
    assert Commune.objects.count() == 1
    assert kept.organisations.count() == 1
