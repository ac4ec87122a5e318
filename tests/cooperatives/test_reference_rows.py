"""The reference rows list pages share (cooperatives.reference_rows): the same communes and
filières as joined rows would give, read once while the reference stamp holds, read again
when the reference data change, and never missing a row created since."""

import pytest
from django.core.cache import cache
from django.db.models import Prefetch

from communes.models import Commune
from cooperatives import reference_rows
from cooperatives.models import Organisation
from cooperatives.reference_rows import attach, reference
from sectors.models import Filiere

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _joined(pks):
    filieres = Filiere.objects.select_related("sector__ministry").order_by("code")
    return {o.pk: o for o in Organisation.objects.filter(pk__in=pks)
            .select_related("commune__department__region", "primary_filiere")
            .prefetch_related(Prefetch("filieres", queryset=filieres, to_attr="joined"))}


def _names(o, filieres):
    return (o.commune.name, o.commune.pcode, o.commune.department.pcode,
            o.commune.department.region.pcode, o.primary_filiere.code,
            [(f.code, f.sector.code, f.sector.ministry.acronym) for f in filieres])


def test_attached_rows_are_the_joined_rows(org_a, org_b, commune_b, maize, poultry):
    third = OrganisationFactory(commune=commune_b, primary_filiere=poultry,
                                filieres=[maize])
    pks = [org_a.pk, org_b.pk, third.pk]
    plain = list(Organisation.objects.filter(pk__in=pks).order_by("pk"))
    attach(plain, filieres_to="listed")
    joined = _joined(pks)
    assert [_names(o, o.listed) for o in plain] == [
        _names(joined[o.pk], joined[o.pk].joined) for o in plain]
    assert [f.code for f in plain[2].listed] == sorted([poultry.code, maize.code])
    # Shared: the two organisations of one commune name the same instance.
    assert plain[1].commune is plain[2].commune


def test_read_once_while_the_stamp_holds(org_a, org_b, django_assert_num_queries):
    organisations = list(Organisation.objects.filter(pk__in=[org_a.pk, org_b.pk]))
    attach(organisations)  # reads the reference
    again = list(Organisation.objects.filter(pk__in=[org_a.pk, org_b.pk]))
    with django_assert_num_queries(0):
        attach(again)
        assert {o.commune.name for o in again} == {o.commune.name for o in organisations}
    with django_assert_num_queries(1):  # the memberships alone
        attach(again, filieres_to="listed")


def test_a_reference_change_is_read_at_once(org_a, commune_a):
    attach([Organisation.objects.get(pk=org_a.pk)])
    commune_a.name_fr = "Nouveau nom"
    commune_a.save()  # renews the reference stamp (cooperatives.signals)
    renamed = Organisation.objects.get(pk=org_a.pk)
    attach([renamed])
    assert renamed.commune.name == "Nouveau nom"


def test_a_row_created_since_is_read_for_the_page(org_a, department, cassava):
    attach([Organisation.objects.get(pk=org_a.pk)])
    kept = reference()
    # Created without the signals that renew the stamp (as a bulk load would).
    [newer] = Commune.objects.bulk_create([Commune(
        pcode="CM999999999", name_fr="Plus récente", department=department)])
    assert newer.pk not in kept.communes
    organisation = OrganisationFactory(commune=newer, primary_filiere=cassava)
    cache.set(reference_rows.freshness.REFERENCE, reference_rows._kept[0], timeout=None)
    fetched = Organisation.objects.get(pk=organisation.pk)
    attach([fetched], filieres_to="listed")
    assert fetched.commune.name == "Plus récente"
    assert fetched.commune.department.region_id == department.region_id
    assert [f.code for f in fetched.listed] == [cassava.code]


def test_without_a_cache_it_reads_each_time(org_a, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(reference_rows.freshness, "reference_stamp", lambda: None)
    organisation = Organisation.objects.get(pk=org_a.pk)
    with django_assert_num_queries(2):  # communes, filières
        attach([organisation])
    again = Organisation.objects.get(pk=org_a.pk)
    with django_assert_num_queries(2):
        attach([again])
    assert organisation.commune.pcode == again.commune.pcode == org_a.commune.pcode


def test_the_api_list_writes_what_the_detail_writes(admin_user, org_a, org_b, commune_b,
                                                    maize, poultry):
    OrganisationFactory(commune=commune_b, primary_filiere=poultry, filieres=[maize])
    client = client_for(admin_user)
    listed = client.get("/api/v1/organisations/?ordering=name").json()["results"]
    assert len(listed) == 3
    for row in listed:
        assert row == client.get(f"/api/v1/organisations/{row['id']}/").json()
    assert any(sorted(row["filieres"]) == sorted([poultry.code, maize.code]) for row in listed)
