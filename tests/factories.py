"""Factories for bulk rows in tests. Defaults respect every model rule."""

import datetime

import factory
from django.db import transaction
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
from support.models import Enrolment, Programme


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
    contact_consent = "given"  # the contact (when a test gives one) is shown

    @classmethod
    def _generate(cls, strategy, params):
        """The organisation and its filières in one transaction, as the services write them:
        outside one (a transactional test), what its save's commit runs in-process (the
        open-data files, reading the summaries) would count it before its filières exist,
        and on SQLite nothing marks its commune again when they are added."""
        with transaction.atomic():
            return super()._generate(strategy, params)

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


class ProgrammeFactory(DjangoModelFactory):
    """A ministry's training programme from 2025 on; `communes=[...]` lists those covered
    (the factory, unlike the service, adds neither the owner commune nor enrolled ones)."""

    class Meta:
        model = Programme
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Programme d'appui {n}")
    owner_type = Programme.OwnerType.MINISTRY
    ministry = factory.SubFactory(MinistryFactory)
    kind = Programme.Kind.TRAINING
    start_date = datetime.date(2025, 1, 1)
    budget = 1_000_000

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if create and extracted:
            self.communes.set(extracted)


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrolment

    programme = factory.SubFactory(ProgrammeFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    start_date = datetime.date(2025, 1, 1)


# The named cast's values, written once: tests/conftest.py serves the cast as fixtures, and
# module-scoped worlds (the authorization matrix) build the same people and places from them.
# commune_a and commune_b sit in one department; commune_c in another region, far away.
REGION = {"pcode": "CM901", "name_fr": "Centre-Test", "name_en": "Centre Test"}
DEPARTMENT = {"pcode": "CM901001", "name_fr": "Département A"}
COMMUNE_A = {"pcode": "CM901001001", "name_fr": "Alpha", "latitude": 4.0, "longitude": 11.0}
COMMUNE_B = {"pcode": "CM901001002", "name_fr": "Bêta", "latitude": 4.1, "longitude": 11.1}
MINADER = {"acronym": "MINADER", "name_fr": "Ministère de l'Agriculture",
           "name_en": "Ministry of Agriculture"}
MINEPIA = {"acronym": "MINEPIA", "name_fr": "Ministère de l'Élevage",
           "name_en": "Ministry of Livestock"}
AGRICULTURE = {"code": "agriculture", "name_fr": "Agriculture"}
LIVESTOCK = {"code": "elevage", "name_fr": "Élevage"}
CASSAVA = {"code": "manioc", "name_fr": "Manioc", "name_en": "Cassava"}
MAIZE = {"code": "mais", "name_fr": "Maïs", "name_en": "Maize"}
POULTRY = {"code": "aviculture", "name_fr": "Aviculture", "name_en": "Poultry"}
ORG_A = {"name": "Coop Manioc Alpha", "contact_name": "Awa Secret",
         "contact_phone": "+237 699 000 111", "contact_email": "awa.secret@example.org"}
ORG_B = {"name": "Coop Manioc Bêta", "contact_name": "Bruno Private",
         "contact_phone": "+237 677 222 333", "contact_email": "bruno.private@example.org"}


def make_user(username: str, **role) -> User:
    """A cast member: a user and, given `role=...` (and its commune, organisation or
    ministry), its role row."""
    user = UserFactory(username=username)
    if role:
        RoleFactory(user=user, **role)
    return user


def make_admin() -> User:
    """The national admin: the admin role, and staff rights for the Django admin."""
    user = make_user("admin", role=Role.ADMIN)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user
