"""Diagnostic pages: who may see and do what, the workflow through the forms, print and
history."""

import pytest
from django.utils.html import escape

from diagnostics import services
from diagnostics.models import (
    DiagnosticActor,
    DiagnosticEntry,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)

from ..conftest import CAST, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

EDIT_REFUSED = ("This diagnostic is validated and can no longer be changed. Start next year's "
                "diagnostic from it instead.")


@pytest.fixture
def draft(agent_a, commune_a, agriculture):
    diagnostic = services.diagnostic_create(user=agent_a, commune=commune_a, year=2025)
    services.diagnostic_entry_add(user=agent_a, diagnostic=diagnostic, sector=agriculture,
                                  need="Magasin", priority_rank=1)
    services.diagnostic_row_add(user=agent_a, diagnostic=diagnostic, model=DiagnosticActor,
                                name="Sa Majesté Fon Ndi", kind="traditional")
    services.diagnostic_row_add(user=agent_a, diagnostic=diagnostic, model=DiagnosticActor,
                                name="Délégation MINADER", kind="public")
    return diagnostic


@pytest.fixture
def validated(agent_a, commune_a, livestock):
    diagnostic = services.diagnostic_create(user=agent_a, commune=commune_a, year=2024)
    services.diagnostic_entry_add(user=agent_a, diagnostic=diagnostic, sector=livestock,
                                  need="Vaccins", priority_rank=1)
    return services.diagnostic_validate(user=agent_a, diagnostic=diagnostic)


def snapshot():
    """Everything the pages may write, to compare before and after a refused request."""
    return [list(model.objects.order_by("pk").values()) for model in (
        TerritorialDiagnostic, DiagnosticEntry, ProjectIdea, DiagnosticActor,
        TerritorialResource)] + [TerritorialDiagnostic.history.count(),
                                 DiagnosticEntry.history.count()]


def expect(who, allowed):
    if who == "anonymous":
        return 302
    return 200 if who in allowed else 404


READERS_OF_A = {"agent_a", "rep_a", "analyst", "admin_user"}
WRITERS_OF_A = {"agent_a", "admin_user"}


@pytest.mark.parametrize("who", CAST)
def test_it_scopes_the_communes_diagnostic_list(who, cast, draft, validated):
    response = client_for(cast[who]).get("/diagnostics/c/CM901001001/")
    assert response.status_code == expect(who, READERS_OF_A)
    if who == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if who == "rep_a":  # representatives see validated diagnostics only
        assert b"2024" in response.content and b">2025<" not in response.content


@pytest.mark.parametrize("who", CAST)
def test_it_scopes_a_draft(who, cast, draft):
    response = client_for(cast[who]).get(f"/diagnostics/{draft.pk}/")
    assert response.status_code == expect(who, WRITERS_OF_A | {"analyst"})


@pytest.mark.parametrize("who", CAST)
def test_it_scopes_a_validated_diagnostic(who, cast, validated):
    response = client_for(cast[who]).get(f"/diagnostics/{validated.pk}/")
    assert response.status_code == expect(who, READERS_OF_A)


def _write_pages(draft):
    entry = draft.entries.get()
    return [
        "/diagnostics/c/CM901001001/new/",
        f"/diagnostics/{draft.pk}/edit/",
        f"/diagnostics/{draft.pk}/entries/new/",
        f"/diagnostics/{draft.pk}/entries/{entry.pk}/",
        f"/diagnostics/{draft.pk}/entries/{entry.pk}/delete/",
        f"/diagnostics/{draft.pk}/ideas/new/",
        f"/diagnostics/{draft.pk}/actors/new/",
        f"/diagnostics/{draft.pk}/resources/new/",
        f"/diagnostics/{draft.pk}/import/",
    ]


@pytest.mark.parametrize("who", CAST)
def test_it_scopes_the_forms(who, cast, draft):
    client = client_for(cast[who])
    for url in _write_pages(draft):
        assert client.get(url).status_code == expect(who, WRITERS_OF_A), url


@pytest.mark.parametrize("who", ["anonymous", "agent_b", "rep_a", "analyst", "nobody"])
def test_it_refuses_every_write_by_outsiders_and_changes_nothing(who, cast, draft,
                                                                 agriculture, livestock):
    client = client_for(cast[who])
    entry = draft.entries.get()
    before = snapshot()
    posts = {
        "/diagnostics/c/CM901001001/new/": {"year": 2030, "source": "pcd"},
        f"/diagnostics/{draft.pk}/edit/": {"year": 2031, "source": "other"},
        f"/diagnostics/{draft.pk}/entries/new/": {"sector": livestock.pk, "level": "village",
                                                  "need": "X", "priority_rank": 5},
        f"/diagnostics/{draft.pk}/entries/{entry.pk}/": {"sector": agriculture.pk,
                                                         "level": "village", "need": "Y",
                                                         "priority_rank": 1},
        f"/diagnostics/{draft.pk}/entries/{entry.pk}/delete/": {},
        f"/diagnostics/{draft.pk}/validate/": {},
        f"/diagnostics/{draft.pk}/copy/": {"year": 2032},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == (302 if who == "anonymous" else 404), url
    assert snapshot() == before


def test_it_runs_the_workflow_through_the_forms(agent_a, agriculture, livestock):
    client = client_for(agent_a)
    response = client.post("/diagnostics/c/CM901001001/new/", {"year": 2025, "source": "pcd"})
    diagnostic = TerritorialDiagnostic.objects.get()
    assert response["Location"] == f"/diagnostics/{diagnostic.pk}/"
    url = f"/diagnostics/{diagnostic.pk}/entries/new/"
    data = {"sector": agriculture.pk, "level": "village", "need": "Magasin",
            "priority_rank": 1}
    assert client.post(url, data).status_code == 302
    duplicate = client.post(url, {**data, "need": "Autre"})
    assert duplicate.status_code == 200
    assert b"This priority rank is already used in this sector." in duplicate.content
    assert client.post(f"/diagnostics/{diagnostic.pk}/ideas/new/", {
        "title": "Forage", "cost_estimate": -5, "rank": 1, "status": "idea"}).status_code == 200
    assert not ProjectIdea.objects.exists()
    assert client.post(f"/diagnostics/{diagnostic.pk}/validate/").status_code == 302
    diagnostic.refresh_from_db()
    assert diagnostic.status == "validated" and diagnostic.validated_by == agent_a
    assert diagnostic.entries.count() == 1


def test_it_refuses_to_edit_a_validated_diagnostic_in_the_form(agent_a, validated, livestock):
    client = client_for(agent_a)
    entry = validated.entries.get()
    before = snapshot()
    response = client.post(f"/diagnostics/{validated.pk}/entries/new/", {
        "sector": livestock.pk, "level": "village", "need": "X", "priority_rank": 2})
    assert response.status_code == 200 and escape(EDIT_REFUSED) in response.content.decode()
    response = client.post(f"/diagnostics/{validated.pk}/entries/{entry.pk}/", {
        "sector": livestock.pk, "level": "village", "need": "Changé", "priority_rank": 1})
    assert response.status_code == 200 and escape(EDIT_REFUSED) in response.content.decode()
    response = client.post(f"/diagnostics/{validated.pk}/entries/{entry.pk}/delete/",
                           follow=True)
    assert escape(EDIT_REFUSED) in response.content.decode()
    response = client.get(f"/diagnostics/{validated.pk}/edit/", follow=True)
    assert response.redirect_chain == [(f"/diagnostics/{validated.pk}/", 302)]
    assert escape(EDIT_REFUSED) in response.content.decode()
    assert snapshot() == before


def test_it_starts_next_year_as_a_copy_from_the_form(agent_a, validated):
    client = client_for(agent_a)
    form = client.get("/diagnostics/c/CM901001001/new/").context["form"]
    assert form.initial["year"] == 2025 and form.initial["copy_from"] == validated.pk
    response = client.post("/diagnostics/c/CM901001001/new/", {
        "year": 2025, "source": "pcd", "copy_from": validated.pk})
    copy = TerritorialDiagnostic.objects.get(year=2025)
    assert response.status_code == 302 and copy.status == "draft"
    assert list(copy.entries.values_list("need", flat=True)) == ["Vaccins"]
    response = client.post(f"/diagnostics/{validated.pk}/copy/", {"year": 2025}, follow=True)
    assert b"This commune already has a diagnostic for 2025." in response.content
    assert TerritorialDiagnostic.objects.count() == 2


def test_it_offers_a_print_layout(agent_a, draft, settings):
    page = client_for(agent_a).get(f"/diagnostics/{draft.pk}/?print=1").content.decode()
    assert "The Mayor (name, signature and stamp):" in page
    assert "Magasin" in page and 'id="history"' not in page and "/entries/new/" not in page
    normal = client_for(agent_a).get(f"/diagnostics/{draft.pk}/").content.decode()
    assert 'id="history"' in normal and "css/diagnostics.css" in normal
    assert "<style" not in page + normal and "onclick" not in page  # the CSP forbids inline
    css = (settings.BASE_DIR / "static" / "css" / "diagnostics.css").read_text()
    assert "@media print" in css


def test_it_shows_who_changed_what(agent_a, draft, agriculture):
    entry = draft.entries.get()
    services.diagnostic_entry_update(user=agent_a, entry=entry, need="Grand magasin")
    response = client_for(agent_a).get(f"/diagnostics/{draft.pk}/")
    history = response.context["history"]
    assert (history[0].user, history[0].action, history[0].kind) == (
        "agent_a", "changed", "diagnostic entry")
    assert [(f.field, f.old, f.new) for f in history[0].fields] == [
        ("need", "Magasin", "Grand magasin")]
    assert len(history) == 5  # diagnostic, entry (+ and ~), two actors
    assert "Grand magasin" in response.content.decode()


def test_it_hides_people_from_analysts(analyst, agent_a, draft):
    response = client_for(analyst).get(f"/diagnostics/{draft.pk}/")
    page = response.content.decode()
    assert "Sa Majesté Fon Ndi" not in page and "Délégation MINADER" in page
    assert "agent_a" not in page
    assert {c.user for c in response.context["history"]} == {None}
    agent_page = client_for(agent_a).get(f"/diagnostics/{draft.pk}/").content.decode()
    assert "Sa Majesté Fon Ndi" in agent_page


def test_it_answers_404_for_an_unknown_row_kind(agent_a, draft):
    assert client_for(agent_a).get(f"/diagnostics/{draft.pk}/people/new/").status_code == 404


def test_it_answers_404_for_a_row_of_another_diagnostic(agent_a, draft, validated):
    other = validated.entries.get()
    url = f"/diagnostics/{draft.pk}/entries/{other.pk}/"
    assert client_for(agent_a).get(url).status_code == 404


def test_it_builds_the_diagnostic_page_in_a_fixed_number_of_queries(agent_a, draft, cassava,
                                                                    commune_a, agriculture):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import OrganisationFactory

    client = client_for(agent_a)
    client.get(f"/diagnostics/{draft.pk}/")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/diagnostics/{draft.pk}/").status_code == 200
        return len(queries)

    before = count()
    for rank in range(2, 12):
        services.diagnostic_entry_add(user=agent_a, diagnostic=draft, sector=agriculture,
                                      need=f"Besoin {rank}", priority_rank=rank)
        OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    services.diagnostic_row_add(user=agent_a, diagnostic=draft, model=ProjectIdea, title="Puits")
    assert count() == before
