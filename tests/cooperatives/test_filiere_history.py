"""Each organisation history record keeps the filière set the organisation had right after
the write, and the history shows a change of that set by filière names, only when it changed."""

import pytest
from django.contrib.admin import site

from cooperatives import services
from cooperatives.models import Organisation, OrganisationFiliere

from ..api_helpers import api_client

pytestmark = pytest.mark.django_db


def sets(organisation) -> list[list[str]]:
    return [sorted(r.filieres.values_list("filiere__code", flat=True))
            for r in organisation.history.order_by("history_id")]


def filiere_changes(user, organisation, language: str) -> list:
    response = api_client(user).get(f"/api/v1/organisations/{organisation.pk}/history/",
                                    HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return [[(f["old"], f["new"]) for f in row["fields"] if f["field"] in ("Filières",)]
            for row in response.json()]


@pytest.fixture
def registered(agent_a, commune_a, cassava, maize):
    organisation = services.organisation_create(
        user=agent_a, filieres=[maize], name="Coop Gamma", legal_form="scoops",
        commune=commune_a, primary_filiere=cassava, members_total=10, members_women=2,
        members_youth=1)
    services.organisation_update(user=agent_a, organisation=organisation, members_total=12)
    services.organisation_update(user=agent_a, organisation=organisation, filieres=[])
    return organisation


def test_it_keeps_the_filieres_of_each_write_in_its_record(registered):
    assert sets(registered) == [["mais", "manioc"], ["mais", "manioc"], ["manioc"]]


def test_it_shows_a_filiere_change_by_names_only_when_the_set_changed(registered, agent_a):
    assert filiere_changes(agent_a, registered, "en") == [[("Cassava, Maize", "Cassava")], [],
                                                          []]
    assert filiere_changes(agent_a, registered, "fr") == [[("Manioc, Maïs", "Manioc")], [], []]


def test_it_gives_the_admins_record_the_filieres_its_inline_saved(org_a, maize, rf):
    class SavedForm:  # what the admin hands save_related once the organisation is saved
        instance = org_a

        def save_m2m(self):
            OrganisationFiliere.objects.create(organisation=org_a, filiere=maize)  # the inline

    site._registry[Organisation].save_related(rf.post("/"), SavedForm(), [], True)
    assert sets(org_a)[-1] == ["mais", "manioc"]
