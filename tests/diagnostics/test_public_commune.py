"""The public commune page (/c/PCODE/): the commune's figures of registered organisations
(not dissolved), by filière and by legal form, its RELESS with the offices of its current
bureau (office and organisation, never the person), the priority needs of its latest
validated diagnostic, and its registered organisations by name; no personal data, and a
fixed number of queries."""

import datetime

import pytest
from django.test import Client

from cooperatives.models import BureauMember, Reless

from ..factories import DiagnosticFactory, EntryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
SECRETS = ("Awa Secret", "699 000 111", "awa.secret@example.org", "Président Caché",
           "Trésorière Cachée", "Ancien Secrétaire")


def page(path: str = "/c/CM901001001/", lang: str = "en") -> str:
    response = Client(HTTP_ACCEPT_LANGUAGE=lang).get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def alpha(org_a, commune_a, cassava, maize, poultry, agriculture, livestock):
    """org_a (SCOOPS, cassava, active, RELESS-free), a dormant GIC (maize and poultry), a
    COOP-CA in creation (cassava and maize), a dissolved SCOOPS (cassava); the RELESS with a
    president from org_a, a treasurer without an organisation and a past secretary; a
    validated 2023 diagnostic, a validated 2024 one with needs ranked 1 to 4 and a draft
    2025 one."""
    OrganisationFactory(name="GIC Endormi", commune=commune_a, primary_filiere=maize,
                        filieres=[poultry], legal_form="gic", status="dormant",
                        members_total=20, members_women=20, members_youth=0)
    OrganisationFactory(name="Coop Naissante", commune=commune_a, primary_filiere=cassava,
                        filieres=[maize], legal_form="coop_ca", status="in_creation",
                        members_total=15, members_women=5, members_youth=5,
                        reless_member_since=datetime.date(2024, 1, 1))
    OrganisationFactory(name="Coop Dissoute", commune=commune_a, primary_filiere=cassava,
                        status="dissolved")
    reless = Reless.objects.create(commune=commune_a, name="RELESS d'Alpha",
                                   status="active", founded_on=datetime.date(2022, 3, 1))
    today = datetime.date.today()
    BureauMember.objects.create(reless=reless, person_name="Président Caché",
                                office="president", organisation=org_a,
                                mandate_start=today - datetime.timedelta(days=100))
    BureauMember.objects.create(reless=reless, person_name="Trésorière Cachée",
                                office="treasurer", mandate_start=today)
    BureauMember.objects.create(reless=reless, person_name="Ancien Secrétaire",
                                office="secretary", organisation=org_a,
                                mandate_start=datetime.date(2020, 1, 1),
                                mandate_end=datetime.date(2021, 1, 1))
    old = DiagnosticFactory(commune=commune_a, year=2023)
    EntryFactory(diagnostic=old, sector=agriculture, priority_rank=1, need="Besoin ancien")
    latest = DiagnosticFactory(commune=commune_a, year=2024)
    for rank in (1, 2, 3, 4):
        EntryFactory(diagnostic=latest, sector=agriculture, priority_rank=rank,
                     need=f"Semences {rank}")
    EntryFactory(diagnostic=latest, sector=livestock, priority_rank=2, need="Vaccins")
    draft = DiagnosticFactory(commune=commune_a, year=2025, status="draft")
    EntryFactory(diagnostic=draft, sector=agriculture, priority_rank=1, need="Brouillon")


def test_it_counts_the_registered_organisations(alpha):
    html = page()
    assert "<b>3</b>registered organisations</div>" in html
    assert "<b>1</b>active organisation</div>" in html
    assert "<b>10</b>members of active organisations</div>" in html
    assert "<b>4</b>of them women</div>" in html
    assert "<b>3</b>of them under 35</div>" in html
    assert "<b>1</b>RELESS members</div>" in html  # the dissolved member does not count
    assert "<h2>Registered organisations (3)</h2>" in html
    assert "Coop Dissoute" not in html


def test_it_counts_by_filiere_and_by_legal_form(alpha):
    html = page()
    assert ("<tr><td>Cassava</td><td class=\"num\">2</td></tr>"
            "<tr><td>Maize</td><td class=\"num\">2</td></tr>"
            "<tr><td>Poultry</td><td class=\"num\">1</td></tr>") in html
    assert ("<tr><td>SCOOPS (simplified cooperative)</td><td class=\"num\">1</td></tr>"
            "<tr><td>COOP-CA (cooperative with a board)</td><td class=\"num\">1</td></tr>"
            "<tr><td>GIC (common initiative group)</td><td class=\"num\">1</td></tr>") in html


def test_it_shows_the_reless_offices_without_the_people(alpha):
    html = page()
    assert "RELESS d&#x27;Alpha · Active · founded on March 1, 2022" in html
    assert ("<tr><td>President</td><td>Coop Manioc Alpha</td></tr>"
            "<tr><td>Treasurer</td><td>—</td></tr></tbody>") in html
    assert "Secretary" not in html  # a past mandate


def test_it_shows_no_personal_data(alpha):
    for lang in ("en", "fr"):
        html = page(lang=lang) + page("/c/CM901001001/?page=2", lang)
        for secret in SECRETS:
            assert secret not in html


def test_it_shows_the_priority_needs_of_the_latest_validated_diagnostic(alpha):
    html = page()
    assert "latest validated territorial diagnostic (2024)" in html
    assert ('<ol class="needs"><li value="1">Semences 1</li><li value="2">Semences 2</li>'
            '<li value="3">Semences 3</li></ol>') in html
    assert '<ol class="needs"><li value="2">Vaccins</li></ol>' in html
    assert html.index("Sector agriculture") < html.index("Sector elevage")
    for hidden in ("Semences 4", "Besoin ancien", "Brouillon"):
        assert hidden not in html


def test_it_says_what_a_new_commune_lacks(commune_b):
    html = page("/c/CM901001002/")
    assert "<b>0</b>registered organisations</div>" in html
    assert "This commune has not recorded its RELESS yet." in html
    assert "No validated territorial diagnostic yet." in html


def test_it_speaks_french(alpha):
    html = page(lang="fr")
    assert "<b>3</b>organisations enregistrées</div>" in html
    assert "<tr><td>Président</td><td>Coop Manioc Alpha</td></tr>" in html
    assert "dernier diagnostic territorial validé de la commune (2024)" in html


def test_it_reads_a_fixed_number_of_queries(alpha, commune_a, cassava,
                                            django_assert_num_queries):
    page()
    with django_assert_num_queries(11) as first:
        page()
    for n in range(60):
        OrganisationFactory(name=f"Coop {n:02}", commune=commune_a, primary_filiere=cassava)
    with django_assert_num_queries(len(first.captured_queries)):
        html = page()
    assert "Page 1 of 2" in html


def test_it_answers_404_for_an_unknown_commune(db):
    assert Client().get("/c/CM999999999/").status_code == 404
