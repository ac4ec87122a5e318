"""One commune fetch-and-check (get_commune_for_user, by need) and one readable-communes set
(Scope.readable_commune_ids) for every page, API view and export."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from cooperatives.permissions import get_commune_for_user, scope_of

pytestmark = pytest.mark.django_db

NEEDS = ("read", "reports", "write", "record")


def _allowed(user, commune) -> tuple[str, ...]:
    allowed = []
    for need in NEEDS:
        try:
            assert get_commune_for_user(user, commune.pcode, need=need) == commune
        except Http404:
            continue
        allowed.append(need)
    return tuple(allowed)


def test_it_answers_each_need_by_role(commune_a, commune_b, agent_a, rep_a, analyst,
                                      admin_user, nobody):
    assert _allowed(admin_user, commune_a) == NEEDS
    assert _allowed(agent_a, commune_a) == NEEDS
    assert _allowed(agent_a, commune_b) == ()
    assert _allowed(rep_a, commune_a) == ("read", "reports")
    assert _allowed(rep_a, commune_b) == ()
    assert _allowed(analyst, commune_a) == ("reports", "record")
    assert _allowed(nobody, commune_a) == ()
    assert _allowed(AnonymousUser(), commune_a) == ()


def test_it_answers_404_for_an_unknown_commune_as_for_one_out_of_scope(admin_user):
    with pytest.raises(Http404):
        get_commune_for_user(admin_user, "CM999999999", need="read")


def test_it_refuses_an_unknown_need(admin_user, commune_a):
    with pytest.raises(ValueError, match="unknown need 'delete'"):
        get_commune_for_user(admin_user, commune_a.pcode, need="delete")


def test_it_computes_the_readable_communes_once_per_scope(
        commune_a, commune_b, agent_a, rep_b, analyst, admin_user, nobody,
        django_assert_num_queries):
    assert scope_of(admin_user).readable_commune_ids is None
    assert scope_of(analyst).readable_commune_ids is None
    assert scope_of(agent_a).readable_commune_ids == {commune_a.pk}
    assert scope_of(nobody).readable_commune_ids == frozenset()
    scope = scope_of(rep_b)
    with django_assert_num_queries(1):
        assert scope.readable_commune_ids == {commune_b.pk}
        assert scope.represented_commune_ids == {commune_b.pk}
        assert scope.may("reports", commune_b.pk) and not scope.may("write", commune_b.pk)
