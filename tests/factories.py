"""Factories for bulk rows in tests. Defaults respect every model rule."""

import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from communes.models import Commune, Department, Region
from cooperatives.history import history_filieres_refresh
from cooperatives.models import (
    CooperationLink,
    LegalForm,
    LinkKind,
    LinkStatus,
    Organisation,
    OrganisationFiliere,
    Role,
    RoleAssignment,
)
from diagnostics.models import DiagnosticEntry, Intervention, TerritorialDiagnostic
from sectors.models import Filiere, Ministry, Sector


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("pcode",)

    pcode = factory.Sequence(lambda n: f"CM9{n:02d}")
    name_fr = factory.Sequence(lambda n: f"Région {n}")
    name_en = factory.Sequence(lambda n: f"Region {n}")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("pcode",)

    region = factory.SubFactory(RegionFactory)
    pcode = factory.LazyAttributeSequence(lambda o, n: f"{o.region.pcode}{n % 1000:03d}")
    name_fr = factory.Sequence(lambda n: f"Département {n}")


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("pcode",)

    department = factory.SubFactory(DepartmentFactory)
    pcode = factory.LazyAttributeSequence(lambda o, n: f"{o.department.pcode}{n % 1000:03d}")
    name_fr = factory.Sequence(lambda n: f"Commune {n}")
    latitude = 4.0
    longitude = 11.0


class MinistryFactory(DjangoModelFactory):
    class Meta:
        model = Ministry
        django_get_or_create = ("acronym",)

    acronym = factory.Sequence(lambda n: f"MIN{n}")
    name_fr = factory.LazyAttribute(lambda o: f"Ministère {o.acronym}")
    name_en = factory.LazyAttribute(lambda o: f"Ministry {o.acronym}")


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"sector-{n}")
    ministry = factory.SubFactory(MinistryFactory)
    name_fr = factory.LazyAttribute(lambda o: f"Secteur {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Sector {o.code}")


class FiliereFactory(DjangoModelFactory):
    class Meta:
        model = Filiere
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"filiere-{n}")
    sector = factory.SubFactory(SectorFactory)
    name_fr = factory.LazyAttribute(lambda o: f"Filière {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Value chain {o.code}")


class OrganisationFactory(DjangoModelFactory):
    """An active SCOOPS with 10 members (4 women, 3 under 35); `filieres=[...]` adds more."""

    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Coopérative {n}")
    legal_form = LegalForm.SCOOPS
    commune = factory.SubFactory(CommuneFactory)
    primary_filiere = factory.SubFactory(FiliereFactory)
    status = "active"
    members_total = 10
    members_women = 4
    members_youth = 3
    employees = 1

    @factory.post_generation
    def filieres(self, create, extracted, **kwargs):
        if not create:
            return
        wanted = {self.primary_filiere_id} | {f.pk for f in (extracted or [])}
        OrganisationFiliere.objects.bulk_create(
            [OrganisationFiliere(organisation=self, filiere_id=f) for f in wanted],
            ignore_conflicts=True,
        )
        history_filieres_refresh([self.pk])  # as the services do


class LinkFactory(DjangoModelFactory):
    class Meta:
        model = CooperationLink

    source = factory.SubFactory(OrganisationFactory)
    target = factory.SubFactory(OrganisationFactory)
    kind = LinkKind.JOINT_SALE
    status = LinkStatus.CONFIRMED
    source_confirmed = True
    target_confirmed = True


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.CTD_AGENT


class DiagnosticFactory(DjangoModelFactory):
    class Meta:
        model = TerritorialDiagnostic

    commune = factory.SubFactory(CommuneFactory)
    year = 2025
    status = TerritorialDiagnostic.Status.VALIDATED


class EntryFactory(DjangoModelFactory):
    class Meta:
        model = DiagnosticEntry

    diagnostic = factory.SubFactory(DiagnosticFactory)
    sector = factory.SubFactory(SectorFactory)
    need = factory.Sequence(lambda n: f"Besoin {n}")
    priority_rank = factory.Sequence(lambda n: n + 1)


class InterventionFactory(DjangoModelFactory):
    class Meta:
        model = Intervention
        skip_postgeneration_save = True

    ministry = factory.SubFactory(MinistryFactory)
    commune = factory.SubFactory(CommuneFactory)
    programme = factory.Sequence(lambda n: f"Programme {n}")
    start_date = datetime.date(2025, 1, 1)
    budget = 1_000_000

    @factory.post_generation
    def beneficiaries(self, create, extracted, **kwargs):
        if create and extracted:
            self.beneficiaries.set(extracted)
