"""Acting on the cooperation report: organisation names link to their pages for those who may
open them, and a "propose this link" button on each opportunity for whoever speaks for one
of the pair, which proposes the suggested link through the registry's service."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperatives.models import CooperationLink, LinkKind, LinkStatus
from reports.cooperation import cooperation_for_commune
from reports.maps import forget_cached
from reports.models import ReportRun

from ..conftest import english_client
from ..factories import LinkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

URL = "/reports/cooperation/CM901001001/"
PROPOSE = "/reports/cooperation/CM901001001/opportunities/propose/"


@pytest.fixture(autouse=True)
def fresh_caches():
    forget_cached()
    yield
    forget_cached()


def _store_run(commune):
    now = timezone.now()
    return ReportRun.objects.create(
        kind="cooperation", commune=commune, scope=commune.pcode, year=now.year,
        status=ReportRun.Status.DONE, queued_at=now, started_at=now, finished_at=now,
        result=cooperation_for_commune(commune, on=timezone.localdate()))


@pytest.fixture
def world(commune_a, commune_b, cassava, org_a, org_b):
    """Commune A: org_a (10 members, rep_a's), Deux (30) and Trois (20), all cassava, no link
    between them; Deux and Trois both train with org_b. Opportunities, largest first: Deux +
    Trois (training: both practise it), Deux + org_a, Trois + org_a (joint sale)."""
    two = OrganisationFactory(name="Manioc Deux", commune=commune_a, primary_filiere=cassava,
                              members_total=30)
    three = OrganisationFactory(name="Manioc Trois", commune=commune_a, primary_filiere=cassava,
                                members_total=20)
    LinkFactory(source=two, target=org_b, kind=LinkKind.TRAINING)
    LinkFactory(source=org_b, target=three, kind=LinkKind.TRAINING)
    run = _store_run(commune_a)
    return {"org_a": org_a, "two": two, "three": three, "org_b": org_b, "run": run}


def _page(user) -> str:
    response = english_client(user).get(URL)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _rows(page: str) -> list[str]:
    table = page.split('<table class="opportunities">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1])


def _post(user, *orgs, year=None):
    data = {"year": year or timezone.localdate().year, "organisations": [o.pk for o in orgs]}
    return english_client(user).post(PROPOSE, data)


def test_it_suggests_the_pairs_kinds(world, agent_a):
    rows = _rows(_page(agent_a))
    assert len(rows) == 3
    assert [re.findall(r"<td>(Training and information|Joint sale)</td>", r) for r in rows] == [
        ["Training and information"], ["Joint sale"], ["Joint sale"]]


@pytest.mark.parametrize(("who", "buttons"), [
    ("agent_a", [True, True, True]),
    ("admin_user", [True, True, True]),
    ("rep_a", [False, True, True]),  # org_a is in the 2nd and 3rd pairs only
    ("analyst", [False, False, False]),
    ("dept_reviewer", [False, False, False]),
    ("region_reviewer", [False, False, False]),
])
def test_it_shows_the_button_to_whoever_speaks_for_one_of_the_pair(world, request, who,
                                                                      buttons):
    rows = _rows(_page(request.getfixturevalue(who)))
    assert ["Propose this link</button>" in row for row in rows] == buttons


@pytest.mark.parametrize(("who", "linked"), [
    ("agent_a", {"Coop Manioc Alpha", "Manioc Deux", "Manioc Trois"}),
    ("admin_user", {"Coop Manioc Alpha", "Manioc Deux", "Manioc Trois"}),
    ("rep_a", {"Coop Manioc Alpha"}),
    ("analyst", set()),
    ("dept_reviewer", set()),
])
def test_it_links_the_names_each_reader_may_open(world, request, who, linked):
    page = _page(request.getfixturevalue(who))
    names = {"Coop Manioc Alpha": world["org_a"], "Manioc Deux": world["two"],
             "Manioc Trois": world["three"]}
    for name, org in names.items():
        link = f'<a href="/organisations/{org.pk}/">{name}</a>'
        assert (link in page) == (name in linked), name
        assert name in page  # a plain name otherwise


def test_a_representative_proposes_and_the_partner_still_confirms(world, rep_a):
    response = _post(rep_a, world["org_a"], world["two"])

    link = CooperationLink.objects.exclude(kind=LinkKind.TRAINING).get()
    assert response.status_code == 302 and response["Location"] == f"/links/{link.pk}/"
    assert (link.source, link.target, link.kind) == (world["org_a"], world["two"], "joint_sale")
    assert (link.status, link.source_confirmed, link.target_confirmed) == (
        LinkStatus.PROPOSED, True, False)
    assert link.history.get().history_user == rep_a


def test_the_representative_of_the_second_organisation_proposes_from_it(world, rep_a):
    _post(rep_a, world["three"], world["org_a"])

    link = CooperationLink.objects.exclude(kind=LinkKind.TRAINING).get()
    assert (link.source, link.target, link.status) == (
        world["org_a"], world["three"], LinkStatus.PROPOSED)


def test_the_communes_agent_speaks_for_both_sides(world, agent_a):
    response = _post(agent_a, world["two"], world["three"])

    link = CooperationLink.objects.get(kind=LinkKind.TRAINING, source=world["two"],
                                       target=world["three"])
    assert response.status_code == 302
    assert (link.target, link.status) == (world["three"], LinkStatus.CONFIRMED)


@pytest.mark.parametrize(("who", "code"), [
    ("rep_a", 403), ("analyst", 403), ("dept_reviewer", 403), ("region_reviewer", 403),
    ("agent_b", 404), ("rep_b", 404), ("far_reviewer", 404), ("nobody", 404),
])
def test_it_refuses_anyone_else_even_with_a_crafted_request(world, request, who, code):
    before = CooperationLink.objects.count()
    response = _post(request.getfixturevalue(who), world["two"], world["three"])
    assert response.status_code == code
    assert CooperationLink.objects.count() == before


def test_it_sends_visitors_to_the_login_page(world):
    response = _post(None, world["two"], world["three"])
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert CooperationLink.objects.count() == 2


@pytest.mark.parametrize("data", [
    {"organisations": ["x", "y"]}, {"organisations": ["1"]}, {},
])
def test_it_answers_404_for_what_is_no_opportunity(world, agent_a, data):
    response = english_client(agent_a).post(PROPOSE, data)
    assert response.status_code == 404


def test_it_answers_404_for_a_pair_the_report_does_not_suggest(world, agent_a):
    response = _post(agent_a, world["org_a"], world["org_b"])
    assert response.status_code == 404
    assert CooperationLink.objects.count() == 2


def test_it_answers_400_for_a_bad_year(world, agent_a):
    response = _post(agent_a, world["two"], world["three"], year="20x5")
    assert response.status_code == 400


def test_a_second_proposal_of_the_same_link_is_refused_with_a_message(world, rep_a):
    _post(rep_a, world["org_a"], world["two"])
    response = english_client(rep_a).post(
        PROPOSE, {"year": timezone.localdate().year,
                  "organisations": [world["org_a"].pk, world["two"].pk]}, follow=True)

    assert CooperationLink.objects.filter(source=world["org_a"]).count() == 1
    assert response.redirect_chain[-1][0].startswith(URL)
    assert '<li class="error" role="status">' in response.content.decode()


def _page_queries(user) -> int:
    forget_cached()
    client = english_client(user)
    client.get(URL)  # the session, the scope and the taxonomy caches warm up
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["agent_a", "rep_a", "analyst"])
def test_the_names_cost_the_same_queries_however_many(world, request, commune_a, cassava, who):
    user = request.getfixturevalue(who)
    few = _page_queries(user)
    for i in range(25):
        OrganisationFactory(name=f"Manioc {i}", commune=commune_a, primary_filiere=cassava)
    ReportRun.objects.all().delete()
    _store_run(commune_a)
    many = _page_queries(user)
    assert many == few
    assert few <= 13  # the menu counts what awaits the user in one query


def test_it_answers_404_when_one_of_the_pair_has_left_the_commune(world, agent_a, commune_b):
    world["three"].commune = commune_b
    world["three"].save()
    response = _post(agent_a, world["two"], world["three"])
    assert response.status_code == 404
    assert CooperationLink.objects.count() == 2
