"""The diagnostic workflow through the services: draft, rows, validation, copy, history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from diagnostics import services
from diagnostics.models import (
    DiagnosticActor,
    DiagnosticEntry,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)

from ..factories import SectorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def draft(agent_a, commune_a):
    return services.diagnostic_create(user=agent_a, commune=commune_a, year=2025)


def _entry(user, diagnostic, sector, rank, need="Piste de collecte"):
    return services.diagnostic_entry_add(user=user, diagnostic=diagnostic, sector=sector,
                                         need=need, priority_rank=rank)


def _fill(user, diagnostic, agriculture, livestock):
    _entry(user, diagnostic, agriculture, 1, "Magasin de stockage")
    _entry(user, diagnostic, agriculture, 2, "Semences améliorées")
    _entry(user, diagnostic, livestock, 1, "Vaccins")
    services.diagnostic_row_add(user=user, diagnostic=diagnostic, model=ProjectIdea,
                                title="Magasin", cost_estimate=12_000_000, rank=1)
    services.diagnostic_row_add(user=user, diagnostic=diagnostic, model=ProjectIdea,
                                title="Forage", rank=2)
    services.diagnostic_row_add(user=user, diagnostic=diagnostic, model=DiagnosticActor,
                                name="Délégation MINADER", kind="public", sector=agriculture)
    services.diagnostic_row_add(user=user, diagnostic=diagnostic, model=TerritorialResource,
                                kind="natural", description="Terres fertiles")


def test_it_creates_a_draft_for_the_commune(draft, commune_a):
    assert draft.status == TerritorialDiagnostic.Status.DRAFT
    assert draft.commune == commune_a and draft.source == TerritorialDiagnostic.Source.PCD
    assert draft.history.get().history_type == "+"


def test_it_refuses_a_diagnostic_in_another_commune(agent_b, commune_a):
    with pytest.raises(PermissionDenied):
        services.diagnostic_create(user=agent_b, commune=commune_a, year=2025)
    assert not TerritorialDiagnostic.objects.exists()


@pytest.mark.parametrize("who", ["analyst", "rep_a", "nobody"])
def test_it_lets_only_agents_and_admins_create(request, who, commune_a):
    with pytest.raises(PermissionDenied):
        services.diagnostic_create(user=request.getfixturevalue(who), commune=commune_a,
                                   year=2025)


def test_it_lets_an_admin_create(admin_user, commune_a):
    assert services.diagnostic_create(user=admin_user, commune=commune_a, year=2024).pk


def test_it_refuses_a_second_diagnostic_for_the_same_year(draft, agent_a, commune_a):
    with pytest.raises(ValidationError) as error:
        services.diagnostic_create(user=agent_a, commune=commune_a, year=2025)
    assert error.value.message_dict["year"] == [
        "This commune already has a diagnostic for 2025."]


def test_it_adds_changes_and_deletes_entries_while_draft(draft, agent_a, agriculture):
    entry = _entry(agent_a, draft, agriculture, 1)
    services.diagnostic_entry_update(user=agent_a, entry=entry, need="Route", priority_rank=2)
    entry.refresh_from_db()
    assert (entry.need, entry.priority_rank) == ("Route", 2)
    services.diagnostic_entry_delete(user=agent_a, entry=entry)
    assert not DiagnosticEntry.objects.exists()
    assert [h.history_type for h in DiagnosticEntry.history.order_by("history_id")] == [
        "+", "~", "-"]
    assert {h.history_user for h in DiagnosticEntry.history.all()} == {agent_a}


def test_it_keeps_ranks_unique_within_a_sector(draft, agent_a, agriculture, livestock):
    _entry(agent_a, draft, agriculture, 1)
    _entry(agent_a, draft, livestock, 1)  # same rank, another sector: fine
    with pytest.raises(ValidationError) as error:
        _entry(agent_a, draft, agriculture, 1)
    assert error.value.messages == ["This priority rank is already used in this sector."]
    assert draft.entries.count() == 2


def test_it_refuses_a_rank_below_one(draft, agent_a, agriculture):
    with pytest.raises(ValidationError) as error:
        _entry(agent_a, draft, agriculture, 0)
    assert "priority_rank" in error.value.message_dict or error.value.messages
    assert not draft.entries.exists()


def test_it_refuses_a_negative_cost(draft, agent_a):
    with pytest.raises(ValidationError) as error:
        services.diagnostic_row_add(user=agent_a, diagnostic=draft, model=ProjectIdea,
                                    title="Forage", cost_estimate=-1)
    assert error.value.message_dict["cost_estimate"] == [
        "Ensure this value is greater than or equal to 0."]
    assert not ProjectIdea.objects.exists()


def test_it_says_so_in_french_for_a_french_user(draft, agent_a):
    with translation.override("fr"):
        with pytest.raises(ValidationError) as error:
            services.diagnostic_row_add(user=agent_a, diagnostic=draft, model=ProjectIdea,
                                        title="Forage", cost_estimate=-1)
        assert "supérieure ou égale à 0" in error.value.message_dict["cost_estimate"][0]


def test_it_accepts_a_zero_cost(draft, agent_a):
    idea = services.diagnostic_row_add(user=agent_a, diagnostic=draft, model=ProjectIdea,
                                       title="Corvée", cost_estimate=0)
    assert idea.cost_estimate == 0


def test_it_refuses_rows_of_another_commune(draft, agent_b, agriculture):
    with pytest.raises(PermissionDenied):
        _entry(agent_b, draft, agriculture, 1)
    assert not draft.entries.exists()


def test_it_refuses_fields_outside_the_grid(draft, agent_a, agriculture):
    with pytest.raises(TypeError):
        services.diagnostic_entry_add(user=agent_a, diagnostic=draft, sector=agriculture,
                                      need="x", priority_rank=1, diagnostic_id=99)


def test_it_validates_a_draft_and_records_who_and_when(draft, agent_a, agriculture):
    _entry(agent_a, draft, agriculture, 1)
    services.diagnostic_validate(user=agent_a, diagnostic=draft)
    draft.refresh_from_db()
    assert draft.status == TerritorialDiagnostic.Status.VALIDATED
    assert draft.validated_by == agent_a and draft.validated_at is not None
    assert draft.history.latest().history_user == agent_a


def test_it_refuses_to_validate_an_empty_draft(draft, agent_a):
    with pytest.raises(ValidationError) as error:
        services.diagnostic_validate(user=agent_a, diagnostic=draft)
    assert error.value.messages == [
        "A diagnostic needs at least one need before it is validated."]
    draft.refresh_from_db()
    assert draft.status == TerritorialDiagnostic.Status.DRAFT


@pytest.mark.parametrize("who", ["agent_b", "analyst", "rep_a"])
def test_it_lets_only_the_communes_agents_validate(request, who, draft, agent_a, agriculture):
    _entry(agent_a, draft, agriculture, 1)
    with pytest.raises(PermissionDenied):
        services.diagnostic_validate(user=request.getfixturevalue(who), diagnostic=draft)
    draft.refresh_from_db()
    assert draft.status == TerritorialDiagnostic.Status.DRAFT


def test_it_refuses_every_edit_of_a_validated_diagnostic(draft, agent_a, agriculture,
                                                         livestock):
    entry = _entry(agent_a, draft, agriculture, 1)
    services.diagnostic_validate(user=agent_a, diagnostic=draft)
    message = ("This diagnostic is validated and can no longer be changed. Start next year's "
               "diagnostic from it instead.")
    attempts = [
        lambda: _entry(agent_a, draft, livestock, 1),
        lambda: services.diagnostic_entry_update(user=agent_a, entry=entry, need="Autre"),
        lambda: services.diagnostic_entry_delete(user=agent_a, entry=entry),
        lambda: services.diagnostic_update(user=agent_a, diagnostic=draft, year=2026),
        lambda: services.diagnostic_row_add(user=agent_a, diagnostic=draft,
                                            model=TerritorialResource, kind="human",
                                            description="Jeunes"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as error:
            attempt()
        assert error.value.messages == [message]
    with pytest.raises(ValidationError) as error:
        services.diagnostic_validate(user=agent_a, diagnostic=draft)
    assert error.value.messages == ["This diagnostic is already validated."]
    entry.refresh_from_db()
    assert entry.need == "Piste de collecte"
    assert draft.entries.count() == 1 and not TerritorialResource.objects.exists()


def test_it_refuses_an_edit_through_a_stale_copy_of_a_draft(draft, agent_a, agriculture):
    _entry(agent_a, draft, agriculture, 1)
    stale = TerritorialDiagnostic.objects.get(pk=draft.pk)
    services.diagnostic_validate(user=agent_a, diagnostic=draft)
    with pytest.raises(ValidationError):
        _entry(agent_a, stale, agriculture, 2)
    assert draft.entries.count() == 1


def test_it_copies_a_diagnostic_to_the_next_year(draft, agent_a, agriculture, livestock):
    _fill(agent_a, draft, agriculture, livestock)
    services.diagnostic_validate(user=agent_a, diagnostic=draft)
    copy = services.diagnostic_copy_to_year(user=agent_a, diagnostic=draft, year=2026)
    assert (copy.commune_id, copy.year, copy.status, copy.source) == (
        draft.commune_id, 2026, "draft", "pcd")
    assert copy.validated_by is None and copy.validated_at is None
    assert (copy.entries.count(), copy.project_ideas.count(), copy.actors.count(),
            copy.resources.count()) == (3, 2, 1, 1)
    assert (draft.entries.count(), draft.project_ideas.count(), draft.actors.count(),
            draft.resources.count()) == (3, 2, 1, 1)
    assert sorted(copy.entries.values_list("sector__code", "priority_rank", "need")) == [
        ("agriculture", 1, "Magasin de stockage"), ("agriculture", 2, "Semences améliorées"),
        ("elevage", 1, "Vaccins")]
    assert copy.project_ideas.get(rank=1).cost_estimate == 12_000_000
    assert DiagnosticEntry.history.filter(diagnostic_id=copy.pk, history_user=agent_a).count() == 3


def test_it_refuses_a_copy_onto_a_year_already_taken(draft, agent_a, commune_a):
    services.diagnostic_create(user=agent_a, commune=commune_a, year=2026)
    with pytest.raises(ValidationError):
        services.diagnostic_copy_to_year(user=agent_a, diagnostic=draft, year=2026)
    assert TerritorialDiagnostic.objects.count() == 2


def test_it_refuses_a_copy_by_another_communes_agent(draft, agent_b):
    with pytest.raises(PermissionDenied):
        services.diagnostic_copy_to_year(user=agent_b, diagnostic=draft, year=2026)
    assert TerritorialDiagnostic.objects.count() == 1


def test_it_leaves_the_copy_editable(draft, agent_a, agriculture, livestock):
    _fill(agent_a, draft, agriculture, livestock)
    services.diagnostic_validate(user=agent_a, diagnostic=draft)
    copy = services.diagnostic_copy_to_year(user=agent_a, diagnostic=draft, year=2026)
    _entry(agent_a, copy, agriculture, 3, "Nouveau")
    assert copy.entries.count() == 4 and draft.entries.count() == 3


def test_it_accepts_any_sector_of_the_taxonomy(draft, agent_a):
    health = SectorFactory(code="sante", name_fr="Santé publique")
    assert _entry(agent_a, draft, health, 1).sector == health
