"""Helpers for the API tests: token clients for the cast, CSV parsing, the crafted secrets."""

import csv
import io

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from cooperatives.models import LegalForm
from core.csvsafe import text
from core.renderers import cell

from .factories import ORG_A, ORG_B, OrganisationFactory

# The crafted contacts of org_a and org_b (tests/conftest.py): never in an analyst's answer.
PERSONAL_DATA = tuple(org[field] for org in (ORG_A, ORG_B)
                      for field in ("contact_name", "contact_phone", "contact_email"))


def issue_key(user, *, days: int = 30, expired: bool = False, revoked: bool = False) -> str:
    """A clear token key of `user`; expired or revoked on demand."""
    token, key = ApiToken.issue(user=user, name="test", days=days)
    if expired:
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - timezone.timedelta(seconds=1))
    if revoked:
        token.revoke()
    return key


def api_client(user=None, *, key: str | None = None, session: bool = False, **token) -> APIClient:
    """A client for `user`: with a fresh token (default), its session (session=True), a given
    key, or anonymous when user and key are None."""
    client = APIClient()
    if session and user is not None:
        client.force_login(user)
    elif key is not None or user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key or issue_key(user, **token)}")
    return client


def csv_rows(response) -> list[dict]:
    """The rows of a CSV answer, as dicts of strings."""
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def as_csv(rows: list[dict]) -> list[dict]:
    """JSON rows as the CSV renderer writes them, to compare both formats."""
    return [{key: text(cell(value)) for key, value in row.items()} for row in rows]


def assert_no_personal_data(response) -> None:
    body = response.content.decode()
    for secret in PERSONAL_DATA:
        assert secret not in body, f"{secret!r} leaked in {response.request['PATH_INFO']}"


def build_registry(*, commune_a, commune_c, maize, cassava, poultry) -> dict:
    """Three organisations beside the cast's org_a (Alpha) and org_b (Bêta), built to hit the
    edges of the aggregates: one with filières in two ministries and two filières of one
    ministry, a dormant GIC, and a union far away in another region."""
    return {
        "a2": OrganisationFactory(
            name="Coop Céréales Alpha", acronym="CCA", rsc_number="RSC/CE/2024/0002",
            legal_form=LegalForm.COOP_CA, commune=commune_a, primary_filiere=maize,
            filieres=[cassava, poultry], members_total=20, members_women=8, members_youth=5,
            employees=2),
        "a3": OrganisationFactory(
            name="GIC Poules Alpha", legal_form=LegalForm.GIC, commune=commune_a,
            primary_filiere=poultry, status="dormant", members_total=7, members_women=7,
            members_youth=0, employees=0),
        "c1": OrganisationFactory(
            name="Union Gamma", legal_form=LegalForm.UNION, commune=commune_c,
            primary_filiere=maize, members_total=3, members_women=1, members_youth=1,
            employees=5),
    }
