"""Analysts pick communes by name, never by typing a P-code: "record an intervention" and
the commune filter of a ministry's interventions take a name (`commune_name`), resolved on
the server by communes.search (one match goes on, several are listed to pick, none is an
error in the user's language); the pick list's links carry the P-code (`commune`)."""

import pytest

from diagnostics.views import PAGE_SIZE

from ..conftest import client_for
from ..factories import CommuneFactory, InterventionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ngaoundere(department):
    """Ngaoundéré 1er and 2e beside the cast's Alpha and Bêta."""
    return [CommuneFactory(pcode=f"CM90100101{n}", department=department, name_fr=name)
            for n, name in ((1, "Ngaoundéré 1er"), (2, "Ngaoundéré 2e"))]


def get(user, path: str, lang: str = "en"):
    return client_for(user).get(path, HTTP_ACCEPT_LANGUAGE=lang)


@pytest.mark.parametrize("typed", ["Ngaoundéré 1er", "ngaoundere 1er", "NGAOUNDERE-1ER"])
def test_it_sends_one_match_straight_to_the_form(analyst, ngaoundere, typed):
    response = get(analyst, f"/interventions/new/?ministry=MINADER&commune_name={typed}")
    assert response.status_code == 302
    assert response["Location"] == "/interventions/c/CM901001011/new/?ministry=MINADER"


def test_it_lists_several_matches_to_pick_by_p_code(analyst, ngaoundere, commune_a):
    response = get(analyst, "/interventions/new/?ministry=MINADER&commune_name=ngaoundere")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Several communes match “ngaoundere”: pick one." in html
    assert ('<li><a href="?ministry=MINADER&amp;commune=CM901001011">Ngaoundéré 1er</a> '
            '<span class="help">Département A, Centre Test</span></li>') in html
    assert '<a href="?ministry=MINADER&amp;commune=CM901001012">Ngaoundéré 2e</a>' in html
    assert "Alpha" not in html.split("picks")[1].split("</ul>")[0]
    picked = get(analyst, "/interventions/new/?ministry=MINADER&commune=CM901001012")
    assert picked["Location"] == "/interventions/c/CM901001012/new/?ministry=MINADER"


def test_it_says_when_no_commune_has_the_name(analyst, ngaoundere):
    english = get(analyst, "/interventions/new/?commune_name=Yaoundé").content.decode()
    assert '<p class="errorlist" role="status">No commune is named “Yaoundé”.</p>' in english
    french = get(analyst, "/interventions/new/?commune_name=Yaoundé", "fr").content.decode()
    assert "Aucune commune ne s’appelle « Yaoundé »." in french


def test_it_asks_for_a_name_not_a_p_code(analyst, ngaoundere):
    html = get(analyst, "/interventions/new/").content.decode()
    assert '<input name="commune_name" id="id_commune_name" value="" list="commune-names"' in html
    assert '<option value="Ngaoundéré 1er">' in html
    assert '<select name="commune"' not in html and "P-code" not in html


def test_it_filters_a_ministrys_interventions_by_a_commune_name(
        analyst, minader, ngaoundere, commune_a):
    first = InterventionFactory(ministry=minader, commune=ngaoundere[0], programme="Un")
    InterventionFactory(ministry=minader, commune=ngaoundere[1], programme="Deux")
    InterventionFactory(ministry=minader, commune=commune_a, programme="Alpha")
    response = get(analyst, "/interventions/m/MINADER/?commune_name=ngaoundere-1er&year=2025")
    assert [i.pk for i in response.context["page"]] == [first.pk]
    html = response.content.decode()
    assert ('<input name="commune_name" value="Ngaoundéré 1er" list="commune-names"'
            in html)  # the box shows the commune's name
    assert "P-code" not in html


def test_it_lists_the_choices_and_no_row_for_an_ambiguous_name(analyst, minader, ngaoundere):
    InterventionFactory(ministry=minader, commune=ngaoundere[0])
    response = get(analyst, "/interventions/m/MINADER/?commune_name=Ngaoundéré&year=2025")
    assert list(response.context["page"]) == []
    html = response.content.decode()
    assert '<a href="?year=2025&amp;commune=CM901001011">Ngaoundéré 1er</a>' in html
    picked = get(analyst, "/interventions/m/MINADER/?year=2025&commune=CM901001011")
    assert len(picked.context["page"]) == 1


def test_it_says_no_commune_has_the_name_in_the_list(analyst, minader, ngaoundere):
    InterventionFactory(ministry=minader, commune=ngaoundere[0])
    response = get(analyst, "/interventions/m/MINADER/?commune_name=zzz", "fr")
    assert list(response.context["page"]) == []
    assert "Aucune commune ne s’appelle « zzz »." in response.content.decode()


def test_it_keeps_the_resolved_commune_in_the_pager(analyst, minader, ngaoundere):
    for n in range(PAGE_SIZE + 1):
        InterventionFactory(ministry=minader, commune=ngaoundere[0], programme=f"P{n:02}")
    html = get(analyst, "/interventions/m/MINADER/?commune_name=ngaoundere 1er").content.decode()
    assert '<a href="?commune=CM901001011&amp;page=2">Next</a>' in html


def test_it_reads_a_fixed_number_of_queries_for_a_name(analyst, minader, ngaoundere,
                                                       django_assert_max_num_queries):
    path = "/interventions/m/MINADER/?commune_name=ngaoundere 1er"
    client = client_for(analyst)
    for _ in range(3):
        InterventionFactory(ministry=minader, commune=ngaoundere[0])
    client.get(path)
    # session, user, roles, ministry, the filter's commune, count, rows, beneficiaries;
    # the name is resolved over the cached index (no query)
    with django_assert_max_num_queries(8) as few:
        client.get(path)
    for _ in range(20):
        InterventionFactory(ministry=minader, commune=ngaoundere[0])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(path)
