"""Exports read with `.values()` give exactly the rows the model-instance code gave (kept
here as the reference), consent-hidden contacts included, in a number of queries that does
not grow with the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts import access_log
from cooperatives import exports, opendata
from cooperatives.access import ExportLog
from cooperatives.consent import CONTACT_FIELDS, contact_shown
from cooperatives.models import LegalForm, Organisation, OrganisationLabel, Reless
from cooperatives.permissions import organisations_listed_for, scope_of
from sectors.models import Filiere

from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


# The code before issue 20 (model instances per row), as the reference ------------------------

def old_organisation_rows(organisations, scope, log):
    organisations = (organisations.select_related("commune__department__region",
                                                  "primary_filiere")
                     .prefetch_related(Prefetch("filieres",
                                                queryset=Filiere.objects.order_by("code"))))
    for o in organisations.iterator(chunk_size=2000):
        commune = o.commune
        row = [o.pk, o.name, o.acronym, o.get_legal_form_display(), o.get_status_display(),
               o.rsc_number, o.rsc_date, o.niu, o.ues_number, o.locality, commune.pcode,
               commune.name, commune.department.pcode, commune.department.region.pcode,
               o.primary_filiere.code, " ".join(f.code for f in o.filieres.all()),
               *(getattr(o, f) for f in exports.ORGANISATION_FIELDS[9:]),
               o.get_member_interest_display(),
               " | ".join(f"{label.get_kind_display()}: " + " ".join(
                   w for w in (label.name, label.certifier, label.number) if w)
                   for label in o.labels.all()),
               o.last_verified_on, o.get_last_verification_outcome_display()]
        if log:
            full = exports._sees_in_full(scope, o.commune_id, o.pk)
            shown = full and contact_shown(o)
            row += [getattr(o, f) if shown else "" for f in CONTACT_FIELDS]
            row.append(o.get_contact_consent_display() if full else "")
            if full:
                log.add(o)
        yield row
    if log:
        log.close()


def old_list_rows(organisations, log):
    fields = exports.LIST_FIELDS
    contacts = slice(fields.index("contact_name"), fields.index("contact_email") + 1)
    for o in organisations.select_related("commune").prefetch_related("filieres"):
        values = [getattr(o, f) for f in fields]
        values[2], values[3] = o.get_legal_form_display(), o.get_status_display()
        values[fields.index("member_interest")] = o.get_member_interest_display()
        if not contact_shown(o):
            values[contacts] = [""] * len(CONTACT_FIELDS)
        yield [o.pk, o.commune.pcode, *("" if v is None else v for v in values),
               o.primary_filiere.code, " ".join(sorted(f.code for f in o.filieres.all())),
               o.get_contact_consent_display(), o.last_verified_on or "",
               o.get_last_verification_outcome_display()]
        log.add(o)
    log.close()


def old_dataset_records():
    with translation.override("fr"):
        legal_labels = {value: str(label).split(" (")[0] for value, label in LegalForm.choices}
    relesses = dict(Reless.objects.values_list("commune_id", "name"))
    organisations = (Organisation.objects.order_by("pk")
                     .select_related("commune__department__region", "primary_filiere")
                     .prefetch_related(Prefetch("filieres", queryset=Filiere.objects.order_by(
                         "code"))))
    for o in organisations:
        commune = o.commune
        filieres = list(o.filieres.all())
        yield {
            "id": o.pk, "name": o.name, "acronym": o.acronym, "legal_form": o.legal_form,
            "legal_form_label": legal_labels.get(o.legal_form, o.legal_form),
            "commune_pcode": commune.pcode, "commune": commune.name_fr,
            "department_pcode": commune.department.pcode,
            "region_pcode": commune.department.region.pcode,
            "region": commune.department.region.name_fr,
            "primary_filiere": o.primary_filiere.code,
            "filieres": [f.code for f in filieres],
            "filiere_names": [f.name_fr for f in filieres],
            "status": o.status, "members": o.members_total, "women": o.members_women,
            "youth": o.members_youth, "reless_member": o.reless_member_since is not None,
            "reless_member_since": o.reless_member_since,
            "reless": relesses.get(o.commune_id) or f"RELESS {commune.name_fr}",
        }


# Crafted data ---------------------------------------------------------------------------------

@pytest.fixture
def crafted(org_a, org_b, commune_a, commune_b, commune_c, cassava, maize, poultry):
    """Contacts with each consent state, filières out of order, empty and odd values."""
    org_a.filieres.add(maize, poultry)
    org_a.acronym, org_a.rsc_date = "=CMA", datetime.date(2021, 3, 4)
    org_a.share_capital, org_a.latitude = Decimal("150000.50"), Decimal("4.0511")
    org_a.niu, org_a.ues_number, org_a.member_interest = "M051812345678A", "UES-01-7", "producer"
    org_a.producer_members = 6
    org_a.save()
    Organisation.objects.filter(pk=org_a.pk).update(
        last_verified_on=datetime.date(2025, 6, 7), last_verification_outcome="moved")
    OrganisationLabel.objects.create(organisation=org_a, kind="organic", certifier="Ecocert",
                                     number="EC-1")
    OrganisationLabel.objects.create(organisation=org_a, kind="fair_trade",
                                     certifier="Fairtrade Africa")
    OrganisationFactory(name="Sans consentement", commune=commune_a, primary_filiere=maize,
                        contact_name="Caché Missing", contact_phone="690 000 001",
                        contact_consent="missing", filieres=[poultry])
    OrganisationFactory(name="Retiré", commune=commune_b, primary_filiere=poultry,
                        contact_name="Caché Withdrawn", contact_email="w@example.org",
                        contact_consent="withdrawn", status="dormant", legal_form="gic")
    OrganisationFactory(name="Ailleurs", commune=commune_c, primary_filiere=cassava,
                        contact_name="Far Away", contact_consent="given",
                        reless_member_since=datetime.date(2024, 1, 2))
    Reless.objects.create(commune=commune_a, name="RELESS d'Alpha")


@pytest.mark.parametrize("role", ["admin_user", "agent_a", "rep_a", "analyst", "dept_reviewer"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_export_rows_equal_the_old_ones(crafted, request, role, language):
    user = request.getfixturevalue(role)
    scope = scope_of(user)
    queryset = organisations_listed_for(user).order_by("name")
    personal = scope.sees_personal_data
    with translation.override(language):
        old_log = ExportLog(user, "/old") if personal else False
        new_log = ExportLog(user, "/new") if personal else False
        old = list(old_organisation_rows(queryset, scope, old_log))
        new = list(exports.organisation_rows(queryset, scope, new_log))
    assert new == old and len(new) >= 1
    flat = " ".join(str(v) for row in new for v in row)
    assert "Caché Missing" not in flat and "Caché Withdrawn" not in flat
    if role == "admin_user":
        assert "Awa Secret" in flat


def test_the_export_logs_the_same_contacts(crafted, admin_user, monkeypatch):
    calls = []
    monkeypatch.setattr(access_log, "record", lambda user, **kwargs: calls.append(
        (kwargs["fields"], sorted(kwargs["rows"]), kwargs["path"])))
    scope = scope_of(admin_user)
    queryset = organisations_listed_for(admin_user).order_by("pk")
    list(old_organisation_rows(queryset, scope, ExportLog(admin_user, "/p")))
    old, calls[:] = list(calls), []
    list(exports.organisation_rows(queryset, scope, ExportLog(admin_user, "/p")))
    assert calls == old and calls


def test_the_registry_list_rows_equal_the_old_ones(crafted, agent_a, admin_user, monkeypatch):
    calls = []
    monkeypatch.setattr(access_log, "record", lambda user, **kwargs: calls.append(
        (kwargs["fields"], sorted(kwargs["rows"]))))
    for user in (agent_a, admin_user):
        queryset = Organisation.objects.filter(
            pk__in=organisations_listed_for(user).values("pk")).order_by("name")
        old = list(old_list_rows(queryset, ExportLog(user, "/p")))
        old_calls, calls[:] = list(calls), []
        new = list(exports.registry_list_rows(queryset, ExportLog(user, "/p")))
        assert new[1:] == old and calls == old_calls
        calls[:] = []


def test_the_open_data_records_equal_the_old_ones(crafted):
    assert list(opendata.dataset_records()) == list(old_dataset_records())


def test_the_queries_of_an_export_do_not_grow_with_its_rows(crafted, admin_user, commune_a,
                                                            cassava):
    def count_queries() -> int:
        scope = scope_of(admin_user)
        with CaptureQueriesContext(connection) as queries:
            list(exports.organisation_rows(organisations_listed_for(admin_user), scope,
                                           ExportLog(admin_user, "/p")))
            list(opendata.dataset_records())
        return len([q for q in queries if "access" not in q["sql"].lower()])

    few = count_queries()
    for number in range(40):
        OrganisationFactory(name=f"Coop {number}", commune=commune_a, primary_filiere=cassava)
    assert count_queries() == few
