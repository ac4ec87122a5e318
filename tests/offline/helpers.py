"""Outbox items as static/js/offline.js builds them: the form's encoding when the page was
loaded (base) and when it was sent (values)."""

import json
import uuid

from django.urls import reverse

from cooperatives.forms import ChangeProposalForm, OrganisationForm
from offline.encoding import encode
from offline.versions import organisation_version


def item(kind: str, values: dict, *, target=None, commune=None, base=None, version=None,
         pk=None) -> dict:
    return {"id": str(pk or uuid.uuid4()), "kind": kind, "target": target,
            "commune": commune, "version": version, "base": base or {}, "values": values}


def edit(organisation, **changes) -> dict:
    """An organisation.update item started from the organisation as it is now."""
    organisation.refresh_from_db()
    base = encode(OrganisationForm(instance=organisation))
    return item("organisation.update", {**base, **changes}, target=organisation.pk,
                commune=organisation.commune.pcode, base=base,
                version=organisation_version(organisation))


def proposal(organisation, **changes) -> dict:
    organisation.refresh_from_db()
    base = encode(ChangeProposalForm(organisation=organisation))
    return item("change_request.submit", {**base, **changes}, target=organisation.pk,
                commune=organisation.commune.pcode, base=base,
                version=organisation_version(organisation))


def sync(client, *items, **headers):
    return client.post(reverse("api-sync"), json.dumps({"changes": list(items)}),
                       content_type="application/json", **headers)
