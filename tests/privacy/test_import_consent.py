"""The organisation import records the contact person's consent its column gives
(contact_consentement: papier or en personne), refuses an unknown value with its line, and
keeps a contact without consent hidden."""

import pytest
from django.utils import translation

from cooperatives.imports import import_organisations
from cooperatives.models import ContactConsent, Organisation

from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db

HEADER = ["nom", "forme_juridique", "filiere_principale", "statut", "contact_nom",
          "contact_telephone", "contact_consentement"]


def _csv(rows) -> bytes:
    return ("\r\n".join(";".join(r) for r in [HEADER, *rows]) + "\r\n").encode()


def _run(user, commune, rows, dry_run=False):
    with translation.override("fr"):
        return import_organisations(user=user, commune=commune, rows=_csv(rows),
                                    file_name="orgs.csv", dry_run=dry_run)


def test_it_records_the_consents_the_file_gives(agent_a, commune_a, cassava):
    result = _run(agent_a, commune_a, [
        ["Coop Papier", "association", "manioc", "active", "Awa Un", "690112233", "Papier"],
        ["Coop Orale", "association", "manioc", "active", "Ben Deux", "690112234",
         "en personne"],
        ["Coop Sans", "association", "manioc", "active", "Cé Trois", "690112235", ""]])
    assert result.errors == []
    states = dict(Organisation.objects.values_list("name", "contact_consent"))
    assert states == {"Coop Papier": "given", "Coop Orale": "given", "Coop Sans": "missing"}
    consents = sorted(ContactConsent.objects.values_list(
        "organisation__name", "method", "document_reference", "recorded_by__username"))
    assert consents == [("Coop Orale", "in_person", "", "agent_a"),
                        ("Coop Papier", "paper", "Import d’organisations, ligne 2", "agent_a")]


def test_it_refuses_an_unknown_consent_with_its_line_and_writes_nothing(agent_a, commune_a,
                                                                        cassava):
    result = _run(agent_a, commune_a, [
        ["Coop A", "association", "manioc", "active", "Awa Un", "690112233", "oui"]])
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (2, "contact_consentement",
         "Consentement inconnu « oui » : indiquez papier (un formulaire signé conservé à la "
         "commune) ou en personne, ou laissez la cellule vide.")]
    assert not Organisation.objects.exists()


def test_a_consent_alone_updates_an_organisation_whose_contact_was_hidden(agent_a, commune_a,
                                                                        cassava):
    org = OrganisationFactory(commune=commune_a, primary_filiere=cassava, name="Coop Connue",
                              rsc_number="RSC/1", contact_name="Awa Un",
                              contact_consent="missing")
    header = ["nom", "numero_rsc", "contact_consentement"]
    content = ("\r\n".join(";".join(r) for r in [
        header, ["Coop Connue", "RSC/1", "papier"]]) + "\r\n").encode()
    with translation.override("fr"):
        result = import_organisations(user=agent_a, commune=commune_a, rows=content,
                                      file_name="orgs.csv", dry_run=False)
    assert result.errors == [] and [u[1] for u in result.updated] == [org.pk]
    org.refresh_from_db()
    assert (org.contact_name, org.contact_consent) == ("Awa Un", "given")
