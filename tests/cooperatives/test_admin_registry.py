"""Imports and duplicate flags in the Django admin: listed for oversight, never changed there,
and the uploaded file (which holds contacts) never shown back."""

import pytest
from django.test import Client

from cooperatives.models import DuplicateFlag, ImportJob

from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org"))
    return client


@pytest.fixture
def job(agent_a, commune_a):
    return ImportJob.objects.create(uploader=agent_a, commune=commune_a, file_name="gic.csv",
                                    content=b"nom;telephone\nGIC Espoir;+237690000001\n",
                                    rows_total=1, created_count=1, status="done")


@pytest.fixture
def flag(org_a, commune_a, cassava):
    other = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    return DuplicateFlag.objects.create(org_a=org_a, org_b=other, reasons=["name"])


def test_it_lists_imports_without_their_file(root_client, job):
    listing = root_client.get("/admin/cooperatives/importjob/")
    assert listing.status_code == 200
    assert "gic.csv" in listing.text
    detail = root_client.get(f"/admin/cooperatives/importjob/{job.pk}/change/")
    assert detail.status_code == 200
    assert "+237690000001" not in detail.text and 'name="content"' not in detail.text


def test_it_lists_duplicate_flags(root_client, flag):
    listing = root_client.get("/admin/cooperatives/duplicateflag/")
    assert listing.status_code == 200
    assert flag.org_a.name in listing.text


@pytest.mark.parametrize("model", ["importjob", "duplicateflag"])
def test_it_never_adds_changes_or_deletes_them_in_the_admin(root_client, job, flag, model):
    pk = job.pk if model == "importjob" else flag.pk
    assert root_client.get(f"/admin/cooperatives/{model}/add/").status_code == 403
    assert root_client.get(f"/admin/cooperatives/{model}/{pk}/delete/").status_code == 403
    response = root_client.post(f"/admin/cooperatives/{model}/{pk}/change/",
                                {"file_name": "renamed.csv", "status": "dismissed"})
    assert response.status_code == 403
    assert ImportJob.objects.get(pk=job.pk).file_name == "gic.csv"
    assert DuplicateFlag.objects.get(pk=flag.pk).status == "open"
