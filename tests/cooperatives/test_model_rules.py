"""Every registry rule is enforced by model validation (with its message, in French and in
English) and by the database itself."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from cooperatives.models import BureauMember, CooperationLink, Organisation, Reless, RoleAssignment
from diagnostics.models import DiagnosticEntry, TerritorialDiagnostic

from ..factories import DiagnosticFactory, EntryFactory, LinkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _errors(instance, lang="en") -> dict:
    with translation.override(lang), pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return {k: [str(m) for m in v] for k, v in caught.value.message_dict.items()}


def _db_rejects(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def _org(commune, filiere, **kw):
    base = {"name": "Test", "legal_form": "scoops", "commune": commune,
            "primary_filiere": filiere, "members_total": 10, "members_women": 2,
            "members_youth": 2}
    return Organisation(**{**base, **kw})


@pytest.mark.parametrize("field, values, message_en, message_fr", [
    ("members_women", {"members_women": 11}, "Women members cannot exceed total members.",
     "Les femmes membres ne peuvent pas dépasser le total des membres."),
    ("members_youth", {"members_youth": 11}, "Members under 35 cannot exceed total members.",
     "Les membres de moins de 35 ans ne peuvent pas dépasser le total des membres."),
    ("members_total", {"members_total": 4, "members_women": 0, "members_youth": 0},
     "A SCOOPS needs at least 5 members.", "Une SCOOPS compte au moins 5 membres."),
    ("members_total", {"legal_form": "coop_ca", "members_total": 14},
     "A COOP-CA needs at least 15 members.", "Une COOP-CA compte au moins 15 membres."),
])
def test_it_rejects_member_counts_with_a_message_next_to_the_field(
        commune_a, cassava, field, values, message_en, message_fr):
    organisation = _org(commune_a, cassava, **values)
    assert message_en in _errors(organisation, "en")[field]
    assert message_fr in _errors(organisation, "fr")[field]
    _db_rejects(lambda: _org(commune_a, cassava, **values).save())


def test_it_accepts_the_legal_minimum_exactly(commune_a, cassava):
    _org(commune_a, cassava, members_total=5, members_women=5, members_youth=5).full_clean()
    _org(commune_a, cassava, legal_form="coop_ca", members_total=15).full_clean()


def test_it_keeps_rsc_numbers_unique_when_given(commune_a, cassava):
    OrganisationFactory(commune=commune_a, primary_filiere=cassava, rsc_number="CM-RSC-1")
    OrganisationFactory(commune=commune_a, primary_filiere=cassava, rsc_number=None)
    _org(commune_a, cassava, rsc_number=None).full_clean()  # several without a number
    errors = _errors(_org(commune_a, cassava, rsc_number="CM-RSC-1"))
    assert "Another organisation already has this RSC number." in errors["__all__"]
    _db_rejects(lambda: _org(commune_a, cassava, rsc_number="CM-RSC-1").save())


def test_it_requires_a_union_as_parent(commune_a, cassava):
    scoops = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    union = OrganisationFactory(commune=commune_a, primary_filiere=cassava, legal_form="union")
    assert "parent_union" in _errors(_org(commune_a, cassava, parent_union=scoops))
    _org(commune_a, cassava, parent_union=union).full_clean()


def test_it_refuses_self_links(org_a):
    link = CooperationLink(source=org_a, target=org_a, kind="joint_sale")
    assert "An organisation cannot be linked to itself." in _errors(link)["__all__"]
    assert "Une organisation ne peut pas être liée à elle-même." in _errors(link, "fr")["__all__"]
    _db_rejects(lambda: CooperationLink.objects.create(source=org_a, target=org_a,
                                                       kind="joint_sale"))


def test_it_refuses_a_duplicate_undirected_pair_of_the_same_kind(org_a, org_b):
    LinkFactory(source=org_a, target=org_b, kind="joint_sale")
    reverse = CooperationLink(source=org_b, target=org_a, kind="joint_sale")
    assert ("These two organisations already have a link of this kind."
            in _errors(reverse)["__all__"])
    _db_rejects(lambda: CooperationLink.objects.create(source=org_b, target=org_a,
                                                       kind="joint_sale"))
    CooperationLink(source=org_b, target=org_a, kind="training").full_clean()


def test_it_keeps_one_reless_per_commune(commune_a):
    Reless.objects.create(commune=commune_a, name="RELESS Alpha")
    assert "commune" in _errors(Reless(commune=commune_a, name="Autre"))
    _db_rejects(lambda: Reless.objects.create(commune=commune_a, name="Autre"))


def test_it_keeps_one_validated_diagnostic_per_commune_and_year(commune_a):
    DiagnosticFactory(commune=commune_a, year=2025, status="validated")
    DiagnosticFactory(commune=commune_a, year=2025, status="draft")  # drafts may coexist
    second = TerritorialDiagnostic(commune=commune_a, year=2025, status="validated")
    assert ("This commune already has a validated diagnostic for this year."
            in _errors(second)["__all__"])
    _db_rejects(lambda: TerritorialDiagnostic.objects.create(commune=commune_a, year=2025,
                                                             status="validated"))


def test_it_keeps_priority_ranks_unique_within_a_sector(commune_a, agriculture, livestock):
    entry = EntryFactory(sector=agriculture, priority_rank=1,
                         diagnostic=DiagnosticFactory(commune=commune_a))
    EntryFactory(diagnostic=entry.diagnostic, sector=livestock, priority_rank=1)
    again = DiagnosticEntry(diagnostic=entry.diagnostic, sector=agriculture, priority_rank=1,
                            need="Autre")
    assert "This priority rank is already used in this sector." in _errors(again)["__all__"]


def test_it_refuses_a_mandate_ending_before_it_starts(commune_a):
    reless = Reless.objects.create(commune=commune_a, name="RELESS Alpha")
    member = BureauMember(reless=reless, person_name="X", office="president",
                          mandate_start="2025-01-01", mandate_end="2024-01-01")
    assert "A mandate cannot end before it starts." in _errors(member)["__all__"]


def test_it_ties_each_role_to_the_right_kind_of_target(agent_a, commune_a):
    wrong = RoleAssignment(user=agent_a, role="analyst", commune=commune_a)
    assert "__all__" in _errors(wrong)
    _db_rejects(lambda: RoleAssignment.objects.create(user=agent_a, role="admin",
                                                      commune=commune_a))
