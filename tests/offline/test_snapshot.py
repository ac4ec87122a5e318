"""GET /api/v1/offline/snapshot/: the user's scope only, contacts only with their person's
consent, in a fixed number of queries, its size said."""

import json

import pytest
from django.urls import reverse

from accounts import access_log
from accounts.models import AccessLog
from cooperatives.models import CooperationLink, LinkStatus, Reless
from offline.versions import organisation_version

from ..conftest import client_for
from ..factories import DiagnosticFactory, EntryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/offline/snapshot/"


def _get(user):
    return client_for(user, language="en").get(URL)


def test_the_route_is_named():
    assert reverse("api-offline-snapshot") == URL


def test_an_agent_gets_their_communes_data(agent_a, org_a, org_b, commune_a, livestock):
    OrganisationFactory(commune=commune_a, primary_filiere=org_a.primary_filiere,
                                 name="Coop Sans Accord", contact_name="Personne Cachée",
                                 contact_phone="+237699999999", contact_consent="withdrawn")
    CooperationLink.objects.create(source=org_a, target=org_b, kind="training",
                                   status=LinkStatus.PROPOSED, source_confirmed=True)
    Reless.objects.create(commune=commune_a, name="RELESS Alpha")
    draft = DiagnosticFactory(commune=commune_a, year=2026, status="draft")
    EntryFactory(diagnostic=draft, sector=livestock, need="Vaccins", priority_rank=1)
    response = _get(agent_a)
    body = response.content.decode()
    data = response.json()
    assert [c["pcode"] for c in data["communes"]] == [commune_a.pcode]
    commune = data["communes"][0]
    assert [o["name"] for o in commune["organisations"]] == ["Coop Manioc Alpha",
                                                             "Coop Sans Accord"]
    first, second = commune["organisations"]
    assert (first["version"], first["url"], first["hidden_fields"]) == (
        organisation_version(org_a), f"/organisations/{org_a.pk}/", [])
    assert first["form"]["contact_name"] == "Awa Secret"
    assert first["form"]["filieres"] == [str(org_a.primary_filiere_id)]
    assert second["hidden_fields"] == ["contact_name", "contact_phone", "contact_email"]
    assert "contact_name" not in second["form"]
    assert "Personne Cachée" not in body and "+237699999999" not in body
    assert "Bruno Private" not in body  # org_b's contact: the other end of a link
    assert commune["links"] == [{
        "id": CooperationLink.objects.get().pk, "source": org_a.pk, "target": org_b.pk,
        "source_name": "Coop Manioc Alpha", "target_name": "Coop Manioc Bêta",
        "kind_label": "Training and information", "status_label": "Proposed"}]
    assert commune["reless"]["name"] == "RELESS Alpha"
    assert commune["diagnostic"] == {"id": draft.pk, "year": 2026, "status": "draft"}
    assert [e["need"] for e in commune["diagnostic_entries"]] == ["Vaccins"]
    assert data["size_bytes"] == len(body.encode())


def test_it_logs_the_contacts_shown(agent_a, org_a):
    _get(agent_a)
    access_log.flush()
    log = AccessLog.objects.get()
    assert (log.user, log.object_id, log.channel, log.path) == (agent_a, org_a.pk, "api", URL)
    assert log.fields == "contact_name,contact_phone,contact_email"


def test_a_representative_gets_their_organisation_only(rep_a, org_a, commune_a):
    OrganisationFactory(commune=commune_a, name="Coop Voisine")
    DiagnosticFactory(commune=commune_a, year=2026, status="draft")
    data = _get(rep_a).json()
    commune = data["communes"][0]
    assert [o["name"] for o in commune["organisations"]] == ["Coop Manioc Alpha"]
    assert commune["diagnostic"] is None
    assert commune["organisations"][0]["form"]["filieres"] == ["manioc"]


@pytest.mark.parametrize("who", ["analyst", "admin_user", "dept_reviewer"])
def test_other_roles_get_404(request, who, org_a):
    assert _get(request.getfixturevalue(who)).status_code == 404


def test_no_role_403_and_anonymous_401(nobody):
    assert (_get(nobody).status_code, client_for(None).get(URL).status_code) == (403, 401)


def test_the_queries_do_not_grow_with_the_organisations(agent_a, org_a, commune_a,
                                                        livestock, django_assert_num_queries):
    """Session, user and the access log's flush aside: communes, organisations, their
    filières, RELESS, links, the drafts and their needs."""
    draft = DiagnosticFactory(commune=commune_a, year=2026, status="draft")
    EntryFactory(diagnostic=draft, sector=livestock)
    client = client_for(agent_a)
    client.get(URL)  # the scope and the session, cached
    with django_assert_num_queries(9):
        small = client.get(URL)
    for _n in range(8):
        other = OrganisationFactory(commune=commune_a, primary_filiere=org_a.primary_filiere)
        CooperationLink.objects.create(source=org_a, target=other, kind="training")
        EntryFactory(diagnostic=draft, sector=livestock)
    with django_assert_num_queries(9):
        large = client.get(URL)
    assert len(json.loads(large.content)["communes"][0]["organisations"]) == 9
    assert small.status_code == large.status_code == 200
