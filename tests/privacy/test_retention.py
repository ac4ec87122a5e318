"""Retention: the nightly task pseudonymises the contacts of organisations dissolved more than
the retention period ago and the names of bureau members whose mandate ended that long ago;
the integrity check counts what is past its retention; an erasure request on a current office
holder is refused with the legal reason."""

import datetime

import pytest
from django.urls import reverse

from cooperatives.models import BureauMember, RegistryEvent, Reless
from operations.integrity import run_checks
from privacy.models import Erasure, RightsRequest
from privacy.tasks import nightly_retention

from ..conftest import client_for
from ..factories import OrganisationFactory
from .traces import tables_holding

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def _years_ago(years: int, days: int = 0) -> datetime.date:
    return TODAY.replace(year=TODAY.year - years) - datetime.timedelta(days=days)


def _dissolved(commune, filiere, name, on):
    org = OrganisationFactory(commune=commune, primary_filiere=filiere, status="dissolved",
                              contact_name=name, contact_phone="+237699000999")
    RegistryEvent.objects.create(organisation=org, kind=RegistryEvent.Kind.DISSOLUTION, date=on)
    return org


@pytest.fixture
def aged(commune_a, cassava):
    old = _dissolved(commune_a, cassava, "Ancien Contact", _years_ago(5, days=1))
    recent = _dissolved(commune_a, cassava, "Recent Contact",
                        _years_ago(5) + datetime.timedelta(days=1))
    reless = Reless.objects.create(commune=commune_a, name="RELESS Alpha")
    ended = BureauMember.objects.create(reless=reless, person_name="Paul Ancien",
                                        office="president", mandate_start=_years_ago(9),
                                        mandate_end=_years_ago(6))
    current = BureauMember.objects.create(reless=reless, person_name="Jeanne Actuelle",
                                          office="president", mandate_start=_years_ago(1))
    return {"old": old, "recent": recent, "ended": ended, "current": current}


def test_it_pseudonymises_what_is_past_its_retention_and_nothing_else(aged):
    assert run_checks()["personal_data_past_retention"] == [
        f"organisation-{aged['old'].pk}", f"bureau-{aged['ended'].pk}"]
    assert nightly_retention.delay().get() == 2
    for key in aged:
        aged[key].refresh_from_db()
    assert (aged["old"].contact_name, aged["old"].contact_phone) == ("", "")
    assert aged["recent"].contact_name == "Recent Contact"
    erasures = {e.object_id: e for e in Erasure.objects.all()}
    assert aged["ended"].person_name == f"[erased #{erasures[aged['ended'].pk].pk}]"
    assert aged["current"].person_name == "Jeanne Actuelle"
    assert {e.cause for e in erasures.values()} == {"retention"}
    assert tables_holding("Ancien Contact") == tables_holding("Paul Ancien") == []
    assert run_checks()["personal_data_past_retention"] == []
    assert nightly_retention.delay().get() == 0  # nothing twice


def test_the_retention_period_is_a_setting(aged, settings):
    settings.PERSONAL_DATA_RETENTION_YEARS = 10
    assert run_checks()["personal_data_past_retention"] == []
    settings.PERSONAL_DATA_RETENTION_YEARS = 1
    assert len(run_checks()["personal_data_past_retention"]) == 3


def test_it_refuses_to_erase_a_current_office_holder_with_the_legal_reason(aged, agent_a):
    client = client_for(agent_a, "en")
    found = client.get(reverse("privacy:request_new"), {"q": "jeanne actuelle"}).context["found"]
    assert [(h.entry, h.pk) for h in found] == [("bureau_member", aged["current"].pk)]
    client.post(reverse("privacy:request_new") + "?q=jeanne", {
        "record": [found[0].key], "kind": "erasure", "subject": "A bureau member"})
    rights_request = RightsRequest.objects.get()
    client.post(reverse("privacy:request_act", args=[rights_request.pk]), {"action": "erase"})
    rights_request.refresh_from_db()
    assert rights_request.status == "refused"
    assert "erased once the mandate has ended" in rights_request.refusal_reason
    aged["current"].refresh_from_db()
    assert aged["current"].person_name == "Jeanne Actuelle"
    assert not Erasure.objects.exists()
