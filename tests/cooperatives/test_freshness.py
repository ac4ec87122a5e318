"""The registry's cache stamps (cooperatives.freshness): which writes renew which stamps, and
how a stamped entry is served, recomputed and never served stale."""

import pytest
from django.core.cache import cache
from django.db import transaction

from cooperatives import freshness
from cooperatives.models import Organisation, OrganisationFiliere
from cooperatives.signals import organisations_bulk_changed

pytestmark = pytest.mark.django_db


def stamps(*pcodes) -> dict:
    keys = [freshness.commune_stamp_key(p) for p in pcodes]
    return cache.get_many([*keys, freshness.NATIONAL, freshness.REFERENCE])


def changed(before: dict, after: dict) -> set[str]:
    keys = set(before) | set(after)
    return {k.rsplit(":", 1)[-1] for k in keys if before.get(k) != after.get(k)}


def test_an_organisation_edit_renews_its_commune_and_the_nation(org_a, commune_a, commune_b):
    seen = stamps(commune_a.pcode, commune_b.pcode)
    org_a.members_total += 1
    org_a.save()
    after = stamps(commune_a.pcode, commune_b.pcode)
    assert changed(seen, after) == {commune_a.pcode, "national"}


def test_a_move_renews_both_communes(org_a, commune_a, commune_b):
    seen = stamps(commune_a.pcode, commune_b.pcode)
    org_a.commune = commune_b
    org_a.save()
    assert changed(seen, stamps(commune_a.pcode, commune_b.pcode)) == {
        commune_a.pcode, commune_b.pcode, "national"}


def test_a_filiere_change_renews_the_commune(org_a, commune_a, commune_b, maize):
    seen = stamps(commune_a.pcode, commune_b.pcode)
    OrganisationFiliere.objects.create(organisation=org_a, filiere=maize)
    assert changed(seen, stamps(commune_a.pcode, commune_b.pcode)) == {
        commune_a.pcode, "national"}


def test_a_bulk_write_renews_its_communes(commune_a, commune_b):
    seen = stamps(commune_a.pcode, commune_b.pcode)
    organisations_bulk_changed.send(sender=Organisation, commune_ids=[commune_b.pk])
    assert changed(seen, stamps(commune_a.pcode, commune_b.pcode)) == {
        commune_b.pcode, "national"}


def test_a_reference_change_renews_the_reference_stamp(commune_a, cassava):
    seen = stamps(commune_a.pcode)
    cassava.name_en = "Cassava (fresh roots)"
    cassava.save()
    assert changed(seen, stamps(commune_a.pcode)) == {"national", "reference"}


def test_a_write_renews_again_after_its_commit(org_a, commune_a,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            org_a.save()
            inside = stamps(commune_a.pcode)
    assert len(callbacks) >= 1
    for callback in callbacks:
        callback()
    assert changed(inside, stamps(commune_a.pcode)) == {commune_a.pcode, "national"}


def test_it_serves_an_entry_until_a_stamp_changes(commune_a):
    key = freshness.commune_stamp_key(commune_a.pcode)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert freshness.cached("t:one", [key], compute) == 1
    assert freshness.cached("t:one", [key], compute) == 1
    freshness.renew([commune_a.pcode])
    assert freshness.cached("t:one", [key], compute) == 2
    freshness.renew(reference=True)
    assert freshness.cached("t:one", [key], compute) == 3
    assert freshness.cached("t:one", [key], compute) == 3


def test_it_recomputes_when_a_stamp_was_lost(commune_a):
    key = freshness.commune_stamp_key(commune_a.pcode)
    assert freshness.cached("t:lost", [key], lambda: "first") == "first"
    cache.delete(key)  # as after a Redis restart
    assert freshness.cached("t:lost", [key], lambda: "second") == "second"
    assert freshness.cached("t:lost", [key], lambda: "third") == "second"


def test_it_never_serves_what_was_computed_during_a_write(commune_a):
    key = freshness.commune_stamp_key(commune_a.pcode)
    freshness.cached("t:race", [key], lambda: "old")  # the stamps exist

    def compute_while_someone_writes():
        freshness.renew([commune_a.pcode])
        return "computed before the write landed"

    freshness.renew([commune_a.pcode])
    assert freshness.cached("t:race", [key], compute_while_someone_writes) \
        == "computed before the write landed"
    assert freshness.cached("t:race", [key], lambda: "fresh") == "fresh"


def test_several_entries_are_read_at_once_and_only_the_missing_computed(commune_a,
                                                                         monkeypatch):
    key = freshness.commune_stamp_key(commune_a.pcode)
    computed: list[str] = []

    def computes(*names):
        return {f"t:many:{n}": (lambda n=n: computed.append(n) or n.upper()) for n in names}

    assert freshness.cached_many(computes("a", "b"), [key]) == {"t:many:a": "A",
                                                                 "t:many:b": "B"}
    assert computed == ["a", "b"]
    reads = []
    get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: reads.append(keys) or get_many(keys))
    assert freshness.cached_many(computes("b", "a"), [key]) == {"t:many:b": "B",
                                                                 "t:many:a": "A"}
    assert computed == ["a", "b"] and len(reads) == 1  # both kept: one round trip
    assert list(freshness.cached_many(computes("c", "a"), [key])) == ["t:many:c", "t:many:a"]
    assert computed == ["a", "b", "c"]  # only the missing one
    freshness.renew([commune_a.pcode])
    freshness.cached_many(computes("a", "b", "c"), [key])
    assert computed == ["a", "b", "c", "a", "b", "c"]  # a stamp renewed: all again
