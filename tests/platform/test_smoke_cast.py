import pytest

from cooperatives.permissions import organisations_visible_to, scope_of

pytestmark = pytest.mark.django_db


def test_it_builds_the_cast(org_a, org_b, agent_a, rep_a, analyst, admin_user):
    assert list(organisations_visible_to(agent_a)) == [org_a]
    assert list(organisations_visible_to(rep_a)) == [org_a]
    assert list(organisations_visible_to(analyst)) == []
    assert organisations_visible_to(admin_user).count() == 2
    assert scope_of(analyst).reads_country
