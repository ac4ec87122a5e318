"""Importing organisations from CSV, XLSX or rows: checks, matching, all-or-nothing writes."""

import datetime
import gc
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from cooperatives.imports import (
    TEMPLATE_HEADERS,
    import_organisations,
    organisations_by_rsc,
    template_csv,
    template_xlsx,
)
from cooperatives.models import (
    DuplicateFlag,
    Organisation,
    OrganisationFiliere,
    RegistryEvent,
)

from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db

HEADER = ["nom", "sigle", "forme_juridique", "numero_rsc", "date_rsc", "commune",
          "filiere_principale", "autres_filieres", "statut", "membres", "femmes", "jeunes",
          "contact_telephone"]
ENGLISH = ["name", "acronym", "legal form", "RSC number", "RSC date", "commune",
           "primary filiere", "other filieres", "status", "members", "women", "youth",
           "contact phone"]


def good_rows():
    return [
        ["Coopérative des Planteurs", "COPLA", "SCOOPS", "RSC/CE/2024/001", "15/03/2024",
         "CM901001001", "Manioc", "mais", "En activité", "12", "5", "4", "+237 690 11 22 33"],
        ["GIC Espoir", "", "gic", "", "", "Alpha", "MAIS", "", "active", "8", "8", "0", ""],
        ["Union des Éleveurs", "UNEL", "Union de coopératives", "RSC/CE/2024/002",
         "2024-05-02", "", "poultry", "", "dormant", "3", "0", "0", ""],
    ]


def as_csv(header, rows, delimiter=";") -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def as_xlsx(header, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([int(c) if c.isdigit() else c for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(user, commune, content, name="orgs.csv", dry_run=False):
    with translation.override("en"):
        return import_organisations(user=user, commune=commune, rows=content,
                                    file_name=name, dry_run=dry_run)


def snapshot():
    return sorted(Organisation.objects.values_list(
        "name", "legal_form", "rsc_number", "members_total", "status", "commune_id"))


@pytest.fixture
def world(commune_a, commune_b, agent_a, cassava, maize, poultry):
    return commune_a


def test_it_changes_nothing_on_a_dry_run(world, agent_a):
    before = snapshot()
    result = run(agent_a, world, as_csv(HEADER, good_rows()), dry_run=True)
    assert result.ok and not result.written
    assert [line for line, _name in result.created] == [2, 3, 4]
    assert snapshot() == before == []
    assert RegistryEvent.objects.count() == 0


def test_it_imports_every_row_with_its_filieres_history_and_events(world, agent_a, cassava,
                                                                    maize, poultry):
    result = run(agent_a, world, as_csv(HEADER, good_rows()))
    assert result.ok and result.written
    assert len(result.created) == 3 and result.updated == [] and result.rows == 3
    copla = Organisation.objects.get(acronym="COPLA")
    assert (copla.legal_form, copla.rsc_number, copla.rsc_date, copla.status) == (
        "scoops", "RSC/CE/2024/001", datetime.date(2024, 3, 15), "active")
    assert (copla.members_total, copla.members_women, copla.members_youth) == (12, 5, 4)
    assert copla.commune == world and copla.primary_filiere == cassava
    assert set(copla.filieres.values_list("code", flat=True)) == {"manioc", "mais"}
    gic = Organisation.objects.get(name="GIC Espoir")
    assert (gic.legal_form, gic.rsc_number, gic.primary_filiere) == ("gic", None, maize)
    union = Organisation.objects.get(acronym="UNEL")
    assert (union.legal_form, union.status, union.primary_filiere) == (
        "union", "dormant", poultry)
    assert copla.history.get().history_user == agent_a
    assert copla.history.get().history_type == "+"
    events = RegistryEvent.objects.order_by("reference")
    assert [(e.organisation_id, e.kind, e.date, e.reference) for e in events] == [
        (copla.pk, "registration", datetime.date(2024, 3, 15), "RSC/CE/2024/001"),
        (union.pk, "registration", datetime.date(2024, 5, 2), "RSC/CE/2024/002")]


def test_it_writes_nothing_when_one_row_is_bad_and_names_every_bad_row(world, agent_a):
    rows = good_rows()
    rows[1][10] = "9"  # women > members on line 3
    rows[2][2] = "SARL"  # unknown legal form on line 4
    rows[2][9] = "abc"  # and a bad number
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert not result.written
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (3, "femmes", "Women members cannot exceed total members."),
        (4, "forme_juridique", "Unknown legal form “SARL”: use SCOOPS, COOP-CA, union, "
                               "fédération, GIC, association or autre."),
        (4, "membres", "Give a whole number, 0 or more."),
    ]
    assert result.refused_lines == [3, 4]
    assert [line for line, _n in result.created] == [2]
    assert Organisation.objects.count() == 0


def test_it_checks_the_legal_minimum_members_and_youth(world, agent_a):
    rows = [
        ["Petite SCOOPS", "", "scoops", "", "", "", "manioc", "", "", "4", "0", "0", ""],
        ["Grande COOP", "", "COOP-CA", "", "", "", "manioc", "", "", "14", "0", "0", ""],
        ["Jeunes", "", "association", "", "", "", "manioc", "", "", "3", "0", "4", ""],
    ]
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (2, "membres", "A SCOOPS needs at least 5 members."),
        (3, "membres", "A COOP-CA needs at least 15 members."),
        (4, "jeunes", "Members under 35 cannot exceed total members."),
    ]
    assert Organisation.objects.count() == 0


def test_it_updates_the_organisation_matched_on_its_rsc_number(world, agent_a, cassava, maize):
    org = OrganisationFactory(name="Coop des Planteurs d'Alpha", commune=world,
                              primary_filiere=cassava, rsc_number="RSC/CE/2024/001",
                              contact_phone="+237 600 000 000")
    long_ago = timezone.now() - datetime.timedelta(days=700)
    Organisation.objects.filter(pk=org.pk).update(updated_at=long_ago)
    rows = [["COOP PLANTEURS ALPHA", "", "", "rsc-ce-2024-001", "", "", "", "mais", "",
             "30", "12", "", ""]]
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert result.ok and result.created == []
    assert result.updated == [(2, org.pk, "COOP PLANTEURS ALPHA")]
    org.refresh_from_db()
    assert (org.name, org.rsc_number, org.members_total, org.members_women) == (
        "COOP PLANTEURS ALPHA", "rsc-ce-2024-001", 30, 12)
    assert org.members_youth == 3 and org.contact_phone == "+237 600 000 000"  # empty cells
    assert org.updated_at > timezone.now() - datetime.timedelta(minutes=5)  # fresh again
    assert set(org.filieres.values_list("code", flat=True)) == {"manioc", "mais"}
    latest = org.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user, latest.members_total) == (
        "~", agent_a, 30)
    again = run(agent_a, world, as_csv(HEADER, rows))
    assert again.updated == [] and again.unchanged == [(2, org.pk, "COOP PLANTEURS ALPHA")]


def test_it_refuses_ambiguous_rows(world, agent_a, cassava):
    OrganisationFactory(name="Coopérative Manioc Alpha", commune=world, primary_filiere=cassava,
                        rsc_number="RSC-1")
    OrganisationFactory(name="GIC Soleil", commune=world, primary_filiere=cassava)
    OrganisationFactory(name="Groupement Lune", commune=world, primary_filiere=cassava,
                        rsc_number="RSC 7")
    OrganisationFactory(name="Association Étoile", commune=world, primary_filiere=cassava,
                        legal_form="association", rsc_number="rsc.7")
    rows = [
        ["Société des Pêcheurs du Lac", "", "", "RSC-1", "", "", "", "", "", "", "", "", ""],
        ["G.I.C. soleil", "", "gic", "", "", "", "manioc", "", "", "8", "", "", ""],
        ["GIC Soleil", "", "gic", "RSC-NEW", "", "", "manioc", "", "", "8", "", "", ""],
        ["Lune", "", "", "RSC7", "", "", "", "", "", "", "", "", ""],
        ["Nouvelle coop", "", "scoops", "", "", "", "manioc", "", "", "8", "", "", ""],
        ["NOUVELLE COOP", "", "scoops", "", "", "", "manioc", "", "", "8", "", "", ""],
        ["Autre", "", "scoops", "RSC-NEW-2", "", "", "manioc", "", "", "8", "", "", ""],
        ["Autre bis", "", "scoops", "rsc new 2", "", "", "manioc", "", "", "8", "", "", ""],
    ]
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert [(e.line, e.column) for e in result.errors] == [
        (2, "nom"), (3, "nom"), (4, "nom"), (5, "numero_rsc"), (7, "nom"), (9, "numero_rsc")]
    messages = [e.message for e in result.errors]
    assert messages[0].startswith("Ambiguous: the RSC number is the one of “Coopérative")
    assert messages[1].startswith("An organisation of the commune already has this name")
    assert messages[2].startswith("Ambiguous: an organisation of the commune has this name")
    assert messages[3].startswith("Ambiguous: several organisations have this RSC number")
    assert messages[4] == "The same organisation is already on line 6."
    assert messages[5] == "This RSC number is already on line 8."
    assert Organisation.objects.count() == 4


def test_it_refuses_rows_outside_the_uploaders_commune(world, agent_a, commune_b, cassava):
    OrganisationFactory(name="Coop Bêta", commune=commune_b, primary_filiere=cassava,
                        rsc_number="RSC-B-1")
    rows = [
        ["Coop Bêta", "", "scoops", "RSC-B-1", "", "", "manioc", "", "", "9", "", "", ""],
        ["Coop ailleurs", "", "scoops", "", "", "CM901001002", "manioc", "", "", "9", "", "",
         ""],
        ["Coop par nom", "", "scoops", "", "", "Bêta", "manioc", "", "", "9", "", "", ""],
        ["Coop inconnue", "", "scoops", "", "", "CM999", "manioc", "", "", "9", "", "", ""],
    ]
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert [(e.line, e.column) for e in result.errors] == [
        (2, "numero_rsc"), (3, "commune"), (4, "commune"), (5, "commune")]
    assert result.errors[0].message == (
        "Another organisation already has this RSC number. It belongs to an organisation of "
        "another commune: this row is outside your commune.")
    assert result.errors[1].message == (
        "This row belongs to another commune than Alpha: an import only registers "
        "organisations of its own commune.")
    assert result.errors[3].message == (
        "Unknown commune “CM999”: give its P-code or its name.")
    assert Organisation.objects.filter(commune=world).count() == 0


def test_it_refuses_users_who_may_not_write_to_the_commune(world, agent_b, rep_a, analyst):
    for user in (agent_b, rep_a, analyst):
        with pytest.raises(PermissionDenied):
            run(user, world, as_csv(HEADER, good_rows()))
    assert Organisation.objects.filter(commune=world).count() == 1  # rep_a's org_a


def test_it_gives_the_same_result_from_xlsx_csv_and_rows(world, agent_a):
    rows = good_rows()
    rows[1][10] = "9"
    from_csv = run(agent_a, world, as_csv(HEADER, rows), dry_run=True)
    from_xlsx = run(agent_a, world, as_xlsx(HEADER, rows), name="orgs.xlsx", dry_run=True)
    from_dicts = run(agent_a, world, [dict(zip(HEADER, row, strict=True)) for row in rows],
                     name=None, dry_run=True)
    assert from_csv.to_json() == from_xlsx.to_json() == from_dicts.to_json()
    assert from_csv.refused_lines == [3]
    good = good_rows()
    run(agent_a, world, as_xlsx(HEADER, good), name="orgs.xlsx")
    by_xlsx = snapshot()
    Organisation.objects.all().delete()
    run(agent_a, world, as_csv(HEADER, good, delimiter=","))
    assert snapshot() == by_xlsx and len(by_xlsx) == 3


def test_it_reads_french_and_english_headers(world, agent_a):
    french = run(agent_a, world, as_csv(HEADER, good_rows()), dry_run=True)
    english = run(agent_a, world, as_csv(ENGLISH, good_rows()), dry_run=True)
    upper = run(agent_a, world, as_csv([h.upper().replace("_", " ") for h in HEADER],
                                       good_rows()), dry_run=True)
    assert french.to_json() == english.to_json() == upper.to_json()
    assert len(french.created) == 3 and french.ignored_columns == []


def test_it_reports_missing_and_unknown_columns(world, agent_a):
    result = run(agent_a, world, as_csv(["sigle", "couleur"], [["X", "bleu"]]))
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (1, "nom", "This column is missing.")]
    assert result.ignored_columns == ["couleur"]
    empty = run(agent_a, world, b"")
    assert [(e.line, e.message) for e in empty.errors] == [(1, "The file is empty.")]
    foreign = run(agent_a, world, b"PK\x03\x04garbage", name="orgs.xlsx")
    assert foreign.errors[0].message == "This file could not be read as an XLSX workbook."


def test_it_flags_possible_duplicates_of_the_rows_written(world, agent_a, org_a):
    rows = [["COOP MANIOC ALPHA", "", "scoops", "", "", "", "manioc", "", "", "9", "", "", ""]]
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert result.errors[0].message.startswith("An organisation of the commune already has")
    rows[0][0] = "Coop Maniok Alpha"
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert result.written and result.duplicates_flagged == 1
    new = Organisation.objects.get(name="Coop Maniok Alpha")
    flag = DuplicateFlag.objects.get()
    assert (flag.org_a_id, flag.org_b_id, flag.reasons) == (org_a.pk, new.pk, ["name"])


def test_it_serves_templates_with_the_french_headers(world, cassava):
    assert template_csv().decode("utf-8-sig").strip() == ";".join(TEMPLATE_HEADERS)
    assert TEMPLATE_HEADERS[:4] == ["nom", "sigle", "forme_juridique", "numero_rsc"]
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    assert [c.value for c in workbook["organisations"][1]] == TEMPLATE_HEADERS
    assert ["manioc", "Manioc", "Cassava"] in [
        [c.value for c in row] for row in workbook["filieres"].iter_rows()]


def test_it_accepts_labels_codes_accents_and_case(world, agent_a, cassava):
    rows = [
        ["A", "", "Société coopérative simplifiée", "", "", "", "MANIOC", "", "EN CRÉATION",
         "5", "", "", ""],
        ["B", "", "coop_ca", "", "", "", "Cassava", "", "In creation", "15", "", "", ""],
        ["C", "", "Fédération", "", "", "", "manioc", "", "en sommeil", "", "", "", ""],
        ["D", "", "other", "", "", "", "manioc", "", "", "1 200", "", "", ""],
    ]
    result = run(agent_a, world, as_csv(HEADER, rows))
    assert result.ok, result.errors
    assert sorted(Organisation.objects.values_list("name", "legal_form", "status",
                                                   "members_total")) == [
        ("A", "scoops", "in_creation", 5), ("B", "coop_ca", "in_creation", 15),
        ("C", "federation", "dormant", 0), ("D", "other", "active", 1200)]
    assert OrganisationFiliere.objects.filter(filiere=cassava).count() == 4


def test_it_announces_the_bulk_change_of_the_commune(world, agent_a):
    from cooperatives.signals import organisations_bulk_changed

    heard = []

    def receiver(sender, commune_ids, **kwargs):
        heard.append(commune_ids)

    organisations_bulk_changed.connect(receiver)
    try:
        run(agent_a, world, as_csv(HEADER, good_rows()), dry_run=True)
        run(agent_a, world, as_csv(HEADER, good_rows()))
    finally:
        organisations_bulk_changed.disconnect(receiver)
    assert heard == [[world.pk]]


def test_it_finds_the_files_rsc_numbers_in_every_commune_however_written(world, agent_a,
                                                                          commune_b, cassava):
    beta = OrganisationFactory(name="Coop Bêta", commune=commune_b, primary_filiere=cassava,
                               rsc_number="RSC/B/2024-001")
    gamma = OrganisationFactory(name="Coop Gamma", commune=commune_b, primary_filiere=cassava,
                                rsc_number="RSC-É-7")
    OrganisationFactory(name="Coop Delta", commune=commune_b, primary_filiere=cassava,
                        rsc_number="RSC-D-9")
    rows = [
        ["Coop Bêta", "", "scoops", "rsc b 2024 001", "", "", "manioc", "", "", "9", "", "", ""],
        ["Coop Gamma", "", "scoops", "rsc.e.7", "", "", "manioc", "", "", "9", "", "", ""],
        ["Coop Delta bis", "", "scoops", "RSC-D-10", "", "", "manioc", "", "", "9", "", "", ""],
    ]
    result = run(agent_a, world, as_csv(HEADER, rows), dry_run=True)
    assert [(e.line, e.column) for e in result.errors] == [(2, "numero_rsc"), (3, "numero_rsc")]
    assert result.created == [(4, "Coop Delta bis")]
    assert organisations_by_rsc({"rscb2024001", "rsce7", "rscd10"}) == {
        "rscb2024001": [(beta.pk, commune_b.pk)], "rsce7": [(gamma.pk, commune_b.pk)]}
    assert organisations_by_rsc(set()) == {}


def test_it_reads_the_registrys_rsc_numbers_only_for_a_file_that_has_some(
        world, agent_a, org_a, django_assert_num_queries):
    without = [row[:3] + [""] + row[4:] for row in good_rows()]
    run(agent_a, world, as_csv(HEADER, without), dry_run=True)  # the uploader's roles, read
    # filières, communes, the commune's organisations and their filières
    with django_assert_num_queries(4) as plain:
        assert run(agent_a, world, as_csv(HEADER, without), dry_run=True).ok
    with django_assert_num_queries(5) as numbered:  # and the registry's RSC numbers
        assert run(agent_a, world, as_csv(HEADER, good_rows()), dry_run=True).ok

    def numbers_read(context):
        return sum('"rsc_number" IS NOT NULL' in q["sql"] for q in context.captured_queries)

    assert (numbers_read(plain), numbers_read(numbered)) == (0, 1)


def test_it_pauses_the_cycle_collector_and_leaves_it_as_it_was(world, agent_a):
    seen = []

    def written(result):
        seen.append(gc.isenabled())
        raise RuntimeError("stop")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        import_organisations(user=agent_a, commune=world, rows=as_csv(HEADER, good_rows()),
                             file_name="orgs.csv", dry_run=False, on_written=written)
    assert seen == [False] and gc.isenabled()
    assert Organisation.objects.filter(commune=world).count() == 0  # rolled back
    gc.disable()
    try:
        run(agent_a, world, as_csv(HEADER, good_rows()))
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert Organisation.objects.filter(commune=world).count() == 3


def test_it_keeps_the_filieres_in_the_history_records_it_writes(world, agent_a):
    run(agent_a, world, as_csv(HEADER, good_rows()))
    copla = Organisation.objects.get(acronym="COPLA")
    assert [sorted(r.filieres.values_list("filiere__code", flat=True))
            for r in copla.history.all()] == [["mais", "manioc"]]
