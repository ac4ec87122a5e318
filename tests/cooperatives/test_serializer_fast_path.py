"""The organisation serializers' reading loop (plain columns read with one getattr) writes
exactly what DRF's own loop writes, for every field, in order, for both shapes."""

import datetime

import pytest
from django.db.models import Prefetch
from rest_framework import serializers as drf

from cooperatives.models import Organisation, OrganisationLabel
from cooperatives.serializers import OrganisationPublicSerializer, OrganisationSerializer
from sectors.models import Filiere

from ..factories import FiliereFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def drf_own(serializer, organisation) -> dict:
    return drf.ModelSerializer.to_representation(serializer, organisation)


@pytest.fixture
def organisations():
    second = FiliereFactory()
    full = OrganisationFactory(
        acronym="CMA", rsc_number="RSC/OUE/2021/CO/001", rsc_date=datetime.date(2021, 3, 4),
        niu="M012345678901A", share_capital=150000, latitude=5.5,
        longitude=10.25, contact_name="Awa", contact_phone="+237677000000",
        description="Manioc", reless_member_since=datetime.date(2022, 1, 1),
        member_interest="producer", worker_members=2, producer_members=8,
        last_verified_on=datetime.date.today(), last_verification_outcome="active")
    full.filieres.add(full.primary_filiere, second)
    OrganisationLabel.objects.create(organisation=full, kind="organic", name="Bio",
                                     certifier="Ecocert", number="1")
    bare = OrganisationFactory(contact_consent="missing", contact_name="Hidden")
    child = OrganisationFactory(parent_union=full)
    return [Organisation.objects.select_related("commune__department__region",
                                                "primary_filiere").get(pk=o.pk)
            for o in (full, bare, child)]


@pytest.mark.parametrize("shape", [OrganisationSerializer, OrganisationPublicSerializer])
def test_the_fast_loop_writes_what_drf_writes(shape, organisations):
    serializer = shape(context={})
    plain = {field.field_name for field, column, _walk in serializer._reading_plan if column}
    walked = {field.field_name for field, _column, walk in serializer._reading_plan if walk}
    assert walked == {"commune", "commune_name", "department", "region", "primary_filiere"}
    assert {"name", "members_total", "share_capital", "rsc_date", "latitude",
            "created_at"} <= plain
    assert not plain & {"commune", "parent_union", "verified"}
    assert {"filieres", "labels"} <= plain  # from the prefetched lists, else the managers
    for organisation in organisations:
        ours = serializer.to_representation(organisation)
        theirs = drf_own(serializer, organisation)
        if shape is OrganisationSerializer and organisation.contact_consent != "given":
            theirs.update(contact_name=None, contact_phone=None, contact_email=None)
        assert list(ours) == list(theirs)
        assert ours == theirs
    first = serializer.to_representation(organisations[0])
    assert first["share_capital"] == 150000 and first["rsc_date"] == "2021-03-04"
    assert first["labels"][0]["certifier"] == "Ecocert"
    assert serializer.to_representation(organisations[2])["parent_union"] == organisations[0].pk


@pytest.mark.parametrize("shape", [OrganisationSerializer, OrganisationPublicSerializer])
def test_the_lists_the_api_prefetches_write_what_the_managers_write(
        shape, organisations, django_assert_num_queries):
    """The API's queryset prefetches filières and labels into lists (`to_attr`): the same
    JSON as read through the managers, and no query while writing out."""
    serializer = shape(context={})
    listed = list(Organisation.objects.filter(pk__in=[o.pk for o in organisations])
                  .select_related("commune__department__region", "primary_filiere")
                  .prefetch_related(
                      Prefetch("filieres", queryset=Filiere.objects.select_related(
                          "sector__ministry").order_by("code"), to_attr="listed_filieres"),
                      Prefetch("labels", to_attr="listed_labels")).order_by("pk"))
    assert [len(o.listed_filieres) for o in listed] == [2, 1, 1]
    expected = [drf_own(serializer, o) for o in organisations]
    with django_assert_num_queries(0):
        ours = [serializer.to_representation(o) for o in listed]
    for mine, theirs, organisation in zip(ours, expected, organisations, strict=True):
        if shape is OrganisationSerializer and organisation.contact_consent != "given":
            theirs.update(contact_name=None, contact_phone=None, contact_email=None)
        assert mine == theirs
    assert ours[0]["filieres"] == sorted(ours[0]["filieres"]) and len(ours[0]["filieres"]) == 2
    assert ours[0]["labels"][0]["name"] == "Bio" and ours[1]["labels"] == []


@pytest.mark.parametrize("zone", [None, "UTC", "Asia/Kolkata"])
def test_dates_and_times_are_written_as_drf_writes_them(organisations, zone):
    """created_at and updated_at are written by the loop itself (ISO 8601 in the current time
    zone, 'Z' for UTC): the same text as DRF's DateTimeField, microseconds included."""
    from django.utils import timezone

    serializer = OrganisationSerializer(context={})
    assert serializer._datetime_columns == {"created_at", "updated_at"}
    organisation = organisations[0]
    organisation.created_at = datetime.datetime(2026, 3, 4, 23, 30, 15, 123456,
                                                tzinfo=datetime.UTC)
    organisation.updated_at = None
    with timezone.override(zone) if zone else timezone.override(timezone.get_default_timezone()):
        ours = serializer.to_representation(organisation)
        theirs = drf_own(serializer, organisation)
    assert ours["created_at"] == theirs["created_at"]
    assert ours["updated_at"] is theirs["updated_at"] is None
    assert ours["created_at"] == {None: "2026-03-05T00:30:15.123456+01:00",
                                  "UTC": "2026-03-04T23:30:15.123456Z",
                                  "Asia/Kolkata": "2026-03-05T05:00:15.123456+05:30"}[zone]
    organisation.created_at = datetime.datetime(2026, 3, 4, 12, 0)  # naive: DRF's own way
    assert (serializer.to_representation(organisation)["created_at"]
            == drf_own(serializer, organisation)["created_at"] == "2026-03-04T12:00:00+01:00")


def test_a_missing_link_is_written_as_drf_writes_it(organisations):
    """Where a walk meets a missing link (an organisation not yet given its commune), DRF's
    own walk decides, and both loops write the same."""
    serializer = OrganisationPublicSerializer(context={})
    organisation = organisations[0]
    del organisation._state.fields_cache["commune"]
    organisation.commune_id = None
    ours = serializer.to_representation(organisation)
    assert ours == drf_own(serializer, organisation)
    assert ours["commune"] is ours["commune_name"] is ours["region"] is None
