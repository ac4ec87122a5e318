"""Every HTML page × every role × GET and POST: who gets 200, a redirect or 404.

Out of scope answers 404 (never 403) so ids cannot be probed; anonymous visitors of private
pages are sent to the login page; a denied write leaves the database exactly as it was."""

import datetime
from dataclasses import dataclass, field

import pytest

from cooperatives.models import (
    BureauMember,
    ChangeRequest,
    CooperationLink,
    LinkStatus,
    Organisation,
    RegistryEvent,
    Reless,
)

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hundreds of cast users: hash their passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ROLES = ("anonymous", "nobody", "agent_a", "agent_b", "rep_a", "rep_b", "analyst", "admin_user")
ADMIN = "admin_user"
EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
AGENT_A = frozenset({"agent_a", ADMIN})
ORG_A = frozenset({"agent_a", "rep_a", ADMIN})
LINK_SIDES = frozenset({"agent_a", "agent_b", "rep_a", "rep_b", ADMIN})
AGENTS = frozenset({"agent_a", "agent_b", ADMIN})


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    org_a2: Organisation
    link: CooperationLink
    change_request: ChangeRequest
    reless: Reless
    bureau_member: BureauMember
    cassava: object


@pytest.fixture
def world(org_a, org_b, rep_a, rep_b, agent_a, agent_b, analyst, admin_user, nobody, cassava):
    org_a2 = OrganisationFactory(name="Coop Maïs Alpha", commune=org_a.commune,
                                 primary_filiere=cassava)
    link = CooperationLink.objects.create(source=org_a, target=org_b, kind="joint_sale",
                                          status=LinkStatus.PROPOSED, source_confirmed=True)
    change_request = ChangeRequest.objects.create(
        organisation=org_a, requested_by=rep_a,
        changes={"members_total": {"old": 10, "new": 12}})
    reless = Reless.objects.create(commune=org_a.commune, name="RELESS Alpha")
    member = BureauMember.objects.create(reless=reless, person_name="Awa", office="president",
                                         mandate_start=datetime.date(2023, 1, 1))
    return World(org_a, org_b, org_a2, link, change_request, reless, member, cassava)


def _organisation_payload(w: World, **extra) -> dict:
    return {"name": "Coop Nouvelle", "legal_form": "scoops", "status": "active",
            "primary_filiere": w.cassava.pk, "members_total": 7, "members_women": 2,
            "members_youth": 1, "employees": 0, "share_capital": 0, **extra}


def _proposal_payload(w: World) -> dict:
    return {"contact_name": "Awa", "contact_phone": "+237 600 000 000", "legal_form": "scoops",
            "status": "active", "filieres": ["manioc"], "members_total": 12,
            "members_women": 4, "members_youth": 3}


@dataclass
class Page:
    name: str
    args: object  # World -> list of URL arguments
    get: frozenset  # roles that get 200 (or `get_codes`)
    post: frozenset | None = None  # roles whose POST succeeds (302); None: read-only page
    payload: object = None  # World -> POST data
    get_codes: dict = field(default_factory=dict)  # role -> code, overriding the rule
    post_codes: dict = field(default_factory=dict)
    private: bool = True
    writes: bool = True  # an accepted POST changes the database


def _commune_a(w):
    return [w.org_a.commune.pcode]


PAGES = [
    Page("home", lambda w: [], EVERYONE, private=False),
    Page("commune_public", _commune_a, EVERYONE, private=False),
    Page("my_space", lambda w: [], frozenset(),
         get_codes={role: 302 for role in LOGGED_IN}),
    Page("commune_dashboard", _commune_a, AGENT_A),
    Page("organisation_list", _commune_a, AGENT_A),
    Page("organisation_list_all", lambda w: [], AGENTS),
    Page("organisation_create", _commune_a, AGENT_A, AGENT_A, _organisation_payload),
    Page("organisation_detail", lambda w: [w.org_a.pk], ORG_A),
    Page("organisation_edit", lambda w: [w.org_a.pk], AGENT_A, AGENT_A,
         lambda w: _organisation_payload(w, name="Coop Renommée")),
    Page("organisation_archive", lambda w: [w.org_a.pk], AGENT_A, AGENT_A,
         lambda w: {"status": "dormant"}),
    Page("registry_event_create", lambda w: [w.org_a.pk], AGENT_A, AGENT_A,
         lambda w: {"kind": "modification", "date": "2024-03-01"}),
    Page("change_propose", lambda w: [w.org_a.pk], frozenset({"rep_a"}), frozenset({"rep_a"}),
         _proposal_payload, get_codes={"agent_a": 302, ADMIN: 302},
         post_codes={"agent_a": 302, ADMIN: 302}),
    Page("link_propose", lambda w: [w.org_a.pk], ORG_A, ORG_A,
         lambda w: {"target": w.org_a2.pk, "kind": "training"}),
    Page("commune_change_requests", _commune_a, AGENT_A),
    Page("change_request_detail", lambda w: [w.change_request.pk], ORG_A),
    Page("change_request_review", lambda w: [w.change_request.pk], frozenset(), AGENT_A,
         lambda w: {"decision": "reject", "reason": "Pas de justificatif."}),
    Page("link_detail", lambda w: [w.link.pk], LINK_SIDES),
    Page("link_confirm", lambda w: [w.link.pk], frozenset(), LINK_SIDES, lambda w: {}),
    Page("link_refuse", lambda w: [w.link.pk], frozenset(), LINK_SIDES, lambda w: {}),
    Page("link_end", lambda w: [w.link.pk], frozenset(), LINK_SIDES, lambda w: {}),
    Page("reless_detail", _commune_a, ORG_A),
    Page("reless_edit", _commune_a, AGENT_A, AGENT_A,
         lambda w: {"name": "RELESS d'Alpha", "status": "active"}),
    Page("reless_membership", _commune_a, AGENT_A, AGENT_A,
         lambda w: {"organisation": w.org_a.pk, "since": "2023-05-01"}),
    Page("bureau_member_create", _commune_a, AGENT_A, AGENT_A,
         lambda w: {"person_name": "Bruno", "office": "treasurer",
                    "mandate_start": "2024-01-01"}),
    Page("bureau_member_edit", lambda w: [w.bureau_member.pk], AGENT_A, AGENT_A,
         lambda w: {"person_name": "Awa", "office": "president",
                    "mandate_start": "2023-01-01", "mandate_end": "2025-12-31"}),
    # Accounts (Django's views, our templates)
    Page("login", lambda w: [], frozenset({"anonymous"}), private=False,
         get_codes={role: 302 for role in LOGGED_IN}),  # signed in already: sent on
    Page("password_change", lambda w: [], LOGGED_IN),
    Page("password_change_done", lambda w: [], LOGGED_IN),
    Page("password_reset", lambda w: [], EVERYONE, private=False),
    Page("password_reset_done", lambda w: [], EVERYONE, private=False),
    Page("password_reset_complete", lambda w: [], EVERYONE, private=False),
]
# Password change is the user's own business (tested in test_web_accounts), not a scope.
POST_PAGES = [p for p in PAGES if p.post is not None or p.private and p.name not in (
    "password_change", "password_change_done", "my_space")]


def snapshot() -> dict:
    """Everything a registry write could touch, history included."""
    return {
        "organisations": list(Organisation.objects.order_by("pk").values_list(
            "pk", "name", "status", "members_total", "reless_member_since", "contact_phone")),
        "events": list(RegistryEvent.objects.values_list("pk", "kind", "date")),
        "requests": list(ChangeRequest.objects.order_by("pk").values_list(
            "pk", "status", "reason", "reviewer")),
        "links": list(CooperationLink.objects.order_by("pk").values_list(
            "pk", "status", "source_confirmed", "target_confirmed", "end_date")),
        "reless": list(Reless.objects.values_list("pk", "name", "status")),
        "bureau": list(BureauMember.objects.order_by("pk").values_list(
            "pk", "person_name", "office", "mandate_end")),
        "history": [m.history.count() for m in (Organisation, RegistryEvent, ChangeRequest,
                                                  CooperationLink, Reless, BureauMember)],
    }


def _url(page: Page, w: World) -> str:
    from django.urls import reverse

    return reverse(page.name, args=page.args(w))


def _client(request, role):
    return client_for(None if role == "anonymous" else request.getfixturevalue(role))


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_it_answers_get_by_role(request, world, page, role):
    response = _client(request, role).get(_url(page, world))
    if role == "anonymous" and page.private:
        _assert_login_redirect(response)
        return
    if page.post is not None and not page.get and not page.get_codes:
        assert response.status_code == 405  # an action: POST only, whoever asks
        return
    expected = page.get_codes.get(role, 200 if role in page.get else 404)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", POST_PAGES, ids=lambda p: p.name)
def test_it_answers_post_by_role_and_denied_writes_change_nothing(request, world, page, role):
    client = _client(request, role)
    before = snapshot()
    data = page.payload(world) if page.payload else {}
    response = client.post(_url(page, world), data)
    if role == "anonymous":
        _assert_login_redirect(response)
        assert snapshot() == before
        return
    if page.post is None:
        assert response.status_code == 405
        assert snapshot() == before
        return
    expected = page.post_codes.get(role, 302 if role in page.post else 404)
    assert response.status_code == expected, getattr(response, "context", None) and [
        (f.name, f.errors) for f in response.context.get("form", [])]
    if expected == 404 or role in page.post_codes:
        assert snapshot() == before
    else:
        assert snapshot() != before


def test_it_sends_each_role_to_its_own_space(world, agent_a, rep_a, analyst, admin_user, nobody):
    from django.urls import reverse

    pcode = world.org_a.commune.pcode
    assert client_for(agent_a).get("/me/")["Location"] == reverse("commune_dashboard",
                                                                  args=[pcode])
    assert client_for(rep_a).get("/me/")["Location"] == reverse("organisation_detail",
                                                                args=[world.org_a.pk])
    assert client_for(analyst).get("/me/")["Location"] == reverse("home")
    assert client_for(nobody).get("/me/")["Location"] == reverse("home")
    assert client_for(admin_user).get("/me/")["Location"] == reverse("organisation_list_all")


def test_it_does_not_list_other_communes_organisations(world, agent_a):
    response = client_for(agent_a).get("/organisations/?q=Coop")
    names = [o.name for o in response.context["page"]]
    assert world.org_b.name not in names
    assert world.org_a.name in names


def test_it_exports_only_the_users_scope(world, agent_a):
    response = client_for(agent_a).get("/organisations/?format=csv")
    body = b"".join(response.streaming_content).decode()
    assert world.org_a.name in body
    assert world.org_b.name not in body
    assert "bruno.private@example.org" not in body


def test_it_hides_the_partners_contacts_on_a_link_page(world, agent_b):
    response = client_for(agent_b).get(f"/links/{world.link.pk}/")
    assert response.status_code == 200
    assert world.org_a.contact_phone not in response.content.decode()
