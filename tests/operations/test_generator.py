"""The seeded dataset generator and the demo accounts, on a small territory of their own:
two communes in a Centre department and two in an Ouest one, with the shipped taxonomy."""

import datetime
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import translation

from cooperatives.models import (
    BureauMember,
    CooperationLink,
    Organisation,
    OrganisationFiliere,
    OrganisationLabel,
    RegistryEvent,
    Reless,
    Role,
    RoleAssignment,
    TerritoryMembership,
    VerificationVisit,
)
from diagnostics.models import DiagnosticEntry, Intervention, TerritorialDiagnostic
from operations.generator.dataset import generate_dataset
from operations.generator.demo import create_demo_accounts, default_demo_communes
from operations.generator.selection import select_communes
from sectors.taxonomy import AGRO_ZONES, load_taxonomy
from support.models import Enrolment, Programme

from ..factories import CommuneFactory, DepartmentFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    load_taxonomy()
    communes = []
    for pcode, region, names, lat, lon in (("CM002", "Centre", ["Mfou", "Nkolafamba"], 3.7, 11.6),
                                           ("CM008", "Ouest", ["Dschang", "Fokoué"], 5.4, 10.0)):
        department = DepartmentFactory(pcode=f"{pcode}001", name_fr=f"Département {region}",
                                       region=RegionFactory(pcode=pcode, name_fr=region))
        for n, name in enumerate(names, start=1):
            communes.append(CommuneFactory(pcode=f"{department.pcode}{n:03d}", name_fr=name,
                                           department=department, latitude=lat + n / 10,
                                           longitude=lon))
    return communes


def snapshot():
    """The generated values that must not depend on anything but the seed."""
    return {
        "organisations": list(Organisation.objects.order_by("id").values_list(
            "id", "name", "legal_form", "status", "members_total", "members_women",
            "members_youth", "rsc_number", "commune__pcode", "primary_filiere__code",
            "parent_union__name", "contact_name", "contact_phone", "contact_email")),
        "links": list(CooperationLink.objects.order_by("id").values_list(
            "source__name", "target__name", "kind", "status", "start_date", "end_date")),
        "entries": list(DiagnosticEntry.objects.order_by("id").values_list(
            "diagnostic__commune__pcode", "sector__code", "priority_rank", "need")),
        "interventions": list(Intervention.objects.order_by("id").values_list(
            "ministry__acronym", "programme", "budget", "start_date", "end_date")),
        "beneficiaries": sorted(Intervention.beneficiaries.through.objects.values_list(
            "intervention_id", "organisation__name")),
        "bureau": list(BureauMember.objects.order_by("id").values_list(
            "person_name", "office", "organisation__name", "mandate_start")),
        "programmes": list(Programme.objects.order_by("id").values_list(
            "name", "owner_type", "ministry__acronym", "partner", "kind", "start_date",
            "end_date", "budget")),
        "enrolments": list(Enrolment.objects.order_by("id").values_list(
            "programme__name", "organisation__name", "start_date", "end_date", "outcome")),
        "visits": list(VerificationVisit.objects.order_by("id").values_list(
            "organisation__name", "visited_on", "outcome", "new_locality", "latitude", "note")),
        "last_visits": list(Organisation.objects.order_by("id").values_list(
            "last_verified_on", "last_verification_outcome")),
        "territories": list(TerritoryMembership.objects.order_by("id").values_list(
            "territory__code", "territory__name", "territory__status", "commune__pcode",
            "start", "confirmed_at")),
    }


def generated(seed: int) -> dict:
    """The snapshot of a tiny dataset generated for `seed`, then rolled back."""
    with transaction.atomic():
        generate_dataset(scale="tiny", seed=seed)
        values = snapshot()
        transaction.set_rollback(True)
    assert not Organisation.objects.exists()
    return values


def test_it_gives_the_same_rows_for_the_same_seed(territory):
    first = generated(7)
    assert len(first["organisations"]) > 50 and len(first["links"]) > 100
    assert generated(7) == first


def test_it_gives_other_rows_for_another_seed(territory):
    first, second = generated(1), generated(2)
    assert [o[1] for o in first["organisations"]] != [o[1] for o in second["organisations"]]
    assert first["links"] != second["links"]


def test_it_fills_two_communes_at_tiny_scale(territory):
    result = generate_dataset(scale="tiny", seed=1)
    assert [c.pcode for c in result.communes] == ["CM002001001", "CM008001001"]
    assert set(Organisation.objects.values_list("commune__pcode", flat=True)) == {
        "CM002001001", "CM008001001"}
    assert 60 <= Organisation.objects.count() <= 64  # 60 and a federation per region
    assert CooperationLink.objects.count() == 150
    assert result.counts["cooperatives.Organisation"] == Organisation.objects.count()


def test_it_generates_realistic_verification_visits(territory):
    """About 60% of the active organisations verified in the 24 months before December 2026,
    fewer of the others; the organisation keeps its latest visit."""
    generate_dataset(scale="demo", seed=3)
    day = datetime.date(2026, 12, 1)
    active = Organisation.objects.filter(status="active")
    share = active.verified(day).count() / active.count()
    assert 0.5 <= share <= 0.7, share
    dormant = Organisation.objects.filter(status="dormant")
    assert dormant.verified(day).count() / dormant.count() < share
    outcomes = Counter(Organisation.objects.values_list("last_verification_outcome", flat=True))
    assert {"active", "dormant", "not_found", "moved", ""} == set(outcomes)
    assert outcomes["moved"] < outcomes["not_found"] + outcomes["dormant"] < outcomes["active"]
    for organisation in Organisation.objects.filter(last_verified_on__isnull=False)[:200]:
        latest = organisation.verifications.order_by("-visited_on", "-id").first()
        assert (latest.visited_on, latest.outcome) == (
            organisation.last_verified_on, organisation.last_verification_outcome)
    assert not VerificationVisit.objects.filter(visited_on__gt=datetime.date(2026, 10, 31))
    moved = VerificationVisit.objects.filter(outcome="moved")
    assert moved.exists() and not moved.filter(new_locality="").exists()


def test_it_fills_the_demo_departments_at_demo_scale(territory):
    assert [c.pcode for c in select_communes("demo")] == [c.pcode for c in territory]


def test_it_respects_legal_minima_and_member_counts(territory):
    generate_dataset(scale="tiny", seed=3)
    organisations = list(Organisation.objects.all())
    for org in organisations:
        assert org.members_women <= org.members_total
        assert org.members_youth <= org.members_total
        assert org.legal_form != "scoops" or org.members_total >= 5
        assert org.legal_form != "coop_ca" or org.members_total >= 15
    forms = Counter(org.legal_form for org in organisations)
    assert forms["gic"] + forms["scoops"] > len(organisations) / 2
    assert forms["union"] >= 2 and forms["federation"] >= 1
    statuses = Counter(org.status for org in organisations)
    assert statuses["active"] > len(organisations) / 2
    members = sum(o.members_total for o in organisations if o.legal_form not in ("union",
                                                                                 "federation"))
    assert 0.35 <= sum(o.members_women for o in organisations) / members <= 0.55
    assert 0.20 <= sum(o.members_youth for o in organisations) / members <= 0.40


def test_it_builds_unions_and_federations(territory):
    generate_dataset(scale="tiny", seed=3)
    for org in Organisation.objects.filter(parent_union__isnull=False).select_related(
            "parent_union__commune__department", "commune__department"):
        if org.legal_form == "union":
            assert org.parent_union.legal_form == "federation"
            assert (org.parent_union.commune.department.region_id
                    == org.commune.department.region_id)
        else:
            assert org.parent_union.legal_form == "union"
            assert org.parent_union.commune_id == org.commune_id
    for union in Organisation.objects.filter(legal_form__in=["union", "federation"]).annotate(
            n=Count("union_members")):
        assert union.members_total == union.n
    assert Organisation.objects.filter(legal_form="union", union_members__isnull=False).exists()


def test_it_gives_unique_rsc_numbers_with_their_registration(territory):
    generate_dataset(scale="tiny", seed=4)
    numbers = list(Organisation.objects.exclude(rsc_number=None)
                   .values_list("rsc_number", "rsc_date", "id"))
    assert numbers and len({n for n, _, _ in numbers}) == len(numbers)
    registrations = {(e.organisation_id, e.reference, e.date)
                     for e in RegistryEvent.objects.filter(kind="registration")}
    for number, day, pk in numbers:
        assert re.fullmatch(r"CM-\d{6}-\d{4}-C-\d{4}", number)
        assert (pk, number, day) in registrations
    assert len(registrations) == len(numbers)
    assert not Organisation.objects.filter(rsc_number__isnull=False,
                                           legal_form__in=["gic", "association"]).exists()


def test_it_links_without_self_or_duplicate_links(territory):
    generate_dataset(scale="tiny", seed=5)
    links = list(CooperationLink.objects.select_related("source", "target"))
    pairs = Counter((min(k.source_id, k.target_id), max(k.source_id, k.target_id), k.kind)
                    for k in links)
    assert all(k.source_id != k.target_id for k in links)
    assert max(pairs.values()) == 1
    statuses = Counter(k.status for k in links)
    assert statuses["confirmed"] > len(links) / 2 and statuses["proposed"] and statuses["ended"]
    assert any(k.source.commune_id != k.target.commune_id for k in links)
    assert all(k.end_date is None or k.start_date is None or k.end_date >= k.start_date
               for k in links)


def test_it_gives_every_organisation_filieres_of_its_zone(territory):
    generate_dataset(scale="tiny", seed=6)
    zoned = {code for codes in AGRO_ZONES.values() for code in codes}
    for org in Organisation.objects.select_related("primary_filiere", "commune__department"):
        code = org.primary_filiere.code
        assert code in AGRO_ZONES[org.commune.department.region.pcode] or code not in zoned
    primaries = set(Organisation.objects.values_list("id", "primary_filiere_id"))
    assert primaries <= set(OrganisationFiliere.objects.values_list("organisation_id",
                                                                    "filiere_id"))


def test_it_gives_each_commune_one_reless_with_a_bureau(territory):
    result = generate_dataset(scale="tiny", seed=8)
    assert sorted(Reless.objects.values_list("commune_id", flat=True)) == sorted(
        c.pk for c in result.communes)
    for reless in Reless.objects.all():
        offices = set(reless.bureau.values_list("office", flat=True))
        assert {"president", "secretary", "treasurer"} <= offices
        for member in reless.bureau.all():
            assert member.mandate_end >= member.mandate_start >= reless.founded_on


def test_it_gives_each_commune_a_validated_pcd_diagnostic(territory):
    result = generate_dataset(scale="tiny", seed=9)
    diagnostics = TerritorialDiagnostic.objects.all()
    assert sorted(d.commune_id for d in diagnostics) == sorted(c.pk for c in result.communes)
    assert DiagnosticEntry.objects.count() == 40  # 20 a commune on average
    for diagnostic in diagnostics:
        assert (diagnostic.status, diagnostic.source) == ("validated", "pcd")
        assert diagnostic.year in (2024, 2025)
        assert diagnostic.project_ideas.exists() and diagnostic.actors.exists()
        assert set(diagnostic.resources.values_list("kind", flat=True)) == {
            "human", "cognitive", "social", "financial", "natural"}
        ranks: dict[int, list[int]] = {}
        for sector, rank in diagnostic.entries.values_list("sector_id", "priority_rank"):
            ranks.setdefault(sector, []).append(rank)
        assert all(sorted(r) == list(range(1, len(r) + 1)) for r in ranks.values())


def test_it_records_interventions_by_the_supervising_ministry(territory):
    generate_dataset(scale="tiny", seed=10)
    interventions = Intervention.objects.select_related("filiere__sector", "sector")
    assert interventions.count() == 10
    for intervention in interventions:
        sector = intervention.filiere.sector if intervention.filiere else intervention.sector
        assert intervention.ministry_id == sector.ministry_id
        assert intervention.start_date <= datetime.date(2026, 12, 31)
        assert intervention.end_date is None or intervention.end_date >= datetime.date(2024, 1, 1)
        assert intervention.budget > 0
        assert {o.commune_id for o in intervention.beneficiaries.all()} <= {
            intervention.commune_id}
    assert Intervention.beneficiaries.through.objects.exists()


def test_it_generates_support_programmes_covering_their_enrolled_organisations(territory):
    generate_dataset(scale="demo", seed=3)
    programmes = Programme.objects.all()
    owners = set(programmes.values_list("owner_type", flat=True))
    assert owners == {"ministry", "partner", "commune"}
    assert programmes.filter(partner="REMCESS", kind="technical").exists()
    assert programmes.filter(ministry__acronym="MINADER", kind="training").exists()
    assert programmes.filter(owner_type="commune", kind="convention").exists()
    enrolments = Enrolment.objects.select_related("organisation")
    assert enrolments.exists()
    covered = set(Programme.communes.through.objects.values_list("programme_id", "commune_id"))
    for enrolment in enrolments:
        assert (enrolment.programme_id, enrolment.organisation.commune_id) in covered
        assert enrolment.organisation.status != "dissolved"
        assert enrolment.end_date is None or enrolment.end_date >= enrolment.start_date
    for programme in programmes.filter(owner_type="commune"):
        assert list(programme.communes.all()) == [programme.owner_commune]
    first = Programme.history.order_by("history_id").first()
    assert first.history_type == "+" and first.communes.exists()
    assert Enrolment.history.count() == enrolments.count()


def test_it_does_nothing_the_second_time(territory):
    out = StringIO()
    call_command("generate_dataset", scale="tiny", seed=1, stdout=out)
    counts = (Organisation.objects.count(), CooperationLink.objects.count(),
              Intervention.objects.count(), DiagnosticEntry.objects.count())
    call_command("generate_dataset", scale="tiny", seed=2, stdout=out)
    assert "nothing generated" in out.getvalue()
    assert counts == (Organisation.objects.count(), CooperationLink.objects.count(),
                      Intervention.objects.count(), DiagnosticEntry.objects.count())


def test_it_fills_only_the_given_communes(territory):
    call_command("generate_dataset", scale="demo", seed=1, communes="CM008001002",
                 stdout=StringIO())
    assert set(Organisation.objects.values_list("commune__pcode", flat=True)) == {"CM008001002"}
    assert Organisation.objects.exclude(legal_form="federation").count() == 75


def test_it_refuses_unknown_communes(territory):
    with pytest.raises(CommandError, match="CM999"):
        call_command("generate_dataset", scale="tiny", seed=1, communes="CM999001001")


@translation.override("fr")  # the names and roles as make run prints them
def test_it_creates_the_demo_accounts_once(territory):
    generate_dataset(scale="tiny", seed=1)
    communes = default_demo_communes()
    accounts = create_demo_accounts(communes=communes)
    usernames = [username for username, _, _ in accounts]
    assert usernames == ["admin", "agent.mfou", "agent.dschang", "reviewer.departement-ouest",
                         "reviewer.ouest", "rep.1", "rep.2", "analyst.minader",
                         "analyst.minepia"]
    roles = {(r.user.username, r.role): r for r in RoleAssignment.objects.select_related("user")}
    admin = roles["admin", Role.ADMIN].user
    assert admin.is_superuser and admin.is_staff
    assert roles["agent.mfou", Role.CTD_AGENT].commune.name_fr == "Mfou"
    # The reviewers of the sign-off demo commune (the Ouest one: Dschang here, Babadjou with
    # the official territory): its department and its region.
    assert roles["reviewer.departement-ouest", Role.DEPARTMENT_REVIEWER].department.pcode == (
        "CM008001")
    assert roles["reviewer.ouest", Role.REGION_REVIEWER].region.pcode == "CM008"
    descriptions = {username: description for username, _, description in accounts}
    assert descriptions["reviewer.departement-ouest"] == (
        "Relecteur départemental (departmental reviewer) — Département Ouest")
    assert descriptions["reviewer.ouest"] == "Relecteur régional (regional reviewer) — Ouest"
    assert roles["rep.1", Role.REPRESENTATIVE].organisation.commune_id in {c.pk for c in communes}
    assert roles["analyst.minepia", Role.ANALYST].ministry.acronym == "MINEPIA"
    for username, password, _ in accounts:
        assert password.startswith("demo-") and len(password) >= 15
        assert roles[next(k for k in roles if k[0] == username)].user.check_password(password)
    before = (RoleAssignment.objects.count(), admin.__class__.objects.count())
    assert create_demo_accounts(communes=communes) == accounts
    assert (RoleAssignment.objects.count(), admin.__class__.objects.count()) == before


def test_it_names_the_demo_people_so_pages_show_names_not_usernames(territory):
    generate_dataset(scale="tiny", seed=1)
    create_demo_accounts(communes=default_demo_communes())
    roles = RoleAssignment.objects.select_related("user", "organisation").exclude(role=Role.ADMIN)
    assert roles.count() == 8
    for role in roles:
        assert role.user.display_name != role.user.username
        assert len(role.user.display_name.split(" ")) >= 2
        if role.role == Role.REPRESENTATIVE and role.organisation.contact_name:
            assert role.user.display_name == role.organisation.contact_name


def test_it_leaves_a_real_account_with_a_demo_name_alone(territory):
    real = UserFactory(username="admin", email="it@minpmeesa.example")
    accounts = create_demo_accounts(communes=[])
    assert "admin" not in [username for username, _, _ in accounts]
    real.refresh_from_db()
    assert real.check_password("correct horse battery") and not real.roles.exists()


@translation.override("fr")  # the names and roles as make run prints them
def test_it_prints_the_demo_accounts(territory):
    out = StringIO()
    call_command("print_demo_accounts", stdout=out)
    assert "No demo accounts" in out.getvalue()
    accounts = create_demo_accounts(communes=territory[:1])
    out = StringIO()
    call_command("print_demo_accounts", stdout=out)
    text = out.getvalue()
    assert "DEMO ACCOUNTS — demo only, never in production" in text
    for username, password, _ in accounts:
        assert re.search(rf"^{re.escape(username)}\s+{re.escape(password)}\s", text, re.M)
    # With Mfou alone, the reviewers are those of its department and region (Centre), their
    # roles in the active language (French by default).
    assert re.search(r"^reviewer\.departement-centre\s+demo-relecteur-reless\s+"
                     r"Relecteur départemental Département Centre$", text, re.M)
    assert re.search(r"^reviewer\.centre\s+demo-relecteur-reless\s+Relecteur régional Centre$",
                     text, re.M)


def test_it_generates_data_that_passes_every_integrity_check(territory):
    from operations.integrity import CHECKS, run_checks
    from reports.tasks import request_national_recompute

    generate_dataset(scale="tiny", seed=3)
    request_national_recompute(year=2025)
    from reports.models import ReportRun
    from reports.tasks import run_national  # computed in-process for the stored reports

    for national in ReportRun.objects.filter(scope="national"):
        communes = list(ReportRun.objects.filter(kind=national.kind, commune__isnull=False)
                        .values_list("pk", flat=True))
        run_national.apply(args=[national.kind, 2025, national.pk, communes])
    assert run_checks() == {check.code: [] for check in CHECKS}


def test_it_gives_identifiers_member_interests_and_labels_that_hold_together(territory):
    with translation.override("en"):
        generate_dataset(scale="demo", seed=5)
    organisations = list(Organisation.objects.select_related("primary_filiere__sector"))
    nius = [o.niu for o in organisations if o.niu]
    assert all(re.fullmatch(r"M\d{12}[A-Z]", niu) for niu in nius)
    assert 0.35 <= len(nius) / len(organisations) <= 0.65  # about half
    for o in organisations:
        assert o.worker_members + o.producer_members <= o.members_total
        if o.legal_form not in ("scoops", "coop_ca", "union", "federation"):
            assert (o.member_interest, o.worker_members, o.producer_members) == ("", 0, 0)
        if o.legal_form in ("union", "federation"):  # their members are organisations
            assert (o.worker_members, o.producer_members) == (0, 0)
        elif o.member_interest == "producer":
            assert o.producer_members > 0 and o.worker_members == 0
        elif o.member_interest in ("worker", "multi_stakeholder"):
            assert o.worker_members > 0 or o.members_total < 4
    farming = Counter(o.member_interest for o in organisations
                      if o.legal_form in ("scoops", "coop_ca")
                      and o.primary_filiere.sector.code in ("agriculture", "elevage"))
    assert farming.most_common(1)[0][0] == "producer"
    assert farming["producer"] > 0.7 * sum(farming.values())
    assert farming["multi_stakeholder"] < farming["producer"] / 5
    labels = OrganisationLabel.objects.select_related("organisation")
    assert 0 < labels.count() < len(organisations) / 10
    for label in labels:
        assert label.organisation.status == "active"
        assert label.valid_until is None or label.valid_until > label.valid_from
        assert label.history.count() == 1
    assert len({o.ues_number for o in organisations if o.ues_number}) == len(
        [o for o in organisations if o.ues_number])


def test_it_draws_project_territories_across_region_lines(territory):
    from cooperatives.models import ProjectTerritory

    result = generate_dataset(scale="demo", seed=7)
    found = {t.code: t for t in ProjectTerritory.objects.prefetch_related(
        "memberships__commune__department")}
    assert result.counts["cooperatives.ProjectTerritory"] == len(found) >= 3
    cocoa = found["bassin-cacao"]
    assert (cocoa.purpose, cocoa.filiere.code, cocoa.status) == ("value_chain", "cacao", "active")
    assert all(Organisation.objects.filter(commune=m.commune, filieres__code="cacao").exists()
               for m in cocoa.memberships.all())
    syndicate = next(t for t in found.values() if t.purpose == "syndicate")
    assert len({m.commune.department_id for m in syndicate.memberships.all()}) == 1
    proposal = found["bassin-versant"]
    assert proposal.status == "proposed"
    assert [m.confirmed for m in proposal.memberships.order_by("id")] == [True, False]
    assert len({m.commune.department.region_id for m in proposal.memberships.all()}) == 2
    assert ProjectTerritory.history.count() == len(found)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the word index: PostgreSQL")
def test_it_analyses_the_search_word_index_with_its_own_tables(territory):
    """The triggers fill the word index as organisations are written; the generator analyses
    its tables too, or PostgreSQL plans every search on the statistics of empty tables (at
    3x national size: a scan of every posting, 0.5 s a search)."""
    from cooperatives import search_words

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cooperatives_search_posting")  # empty: the plan's old view
    generate_dataset(scale="tiny", seed=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cooperatives_search_posting")
        postings = cursor.fetchone()[0]
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
                       [list(search_words.index_tables(connection))])
        estimated = dict(cursor.fetchall())
    assert postings > 100
    assert estimated["cooperatives_search_posting"] == postings
    assert estimated["cooperatives_search_word"] > 0
