"""The version token of a record an offline change starts from (docs/offline-sync.md)."""

from cooperatives.models import Organisation


def organisation_version(organisation: Organisation) -> str:
    """The organisation's last save, ISO 8601: any save (a form, the API, an import, a change
    request) moves it, so a client that started from an older token has to be compared field
    by field."""
    return organisation.updated_at.isoformat() if organisation.updated_at else ""
