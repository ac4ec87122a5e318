"""Retention (Law No. 2024/017, docs/personal-data.md): the contacts of organisations dissolved
more than PERSONAL_DATA_RETENTION_YEARS ago and the names of bureau members whose mandate ended
that long ago are pseudonymised by the nightly task, through the same erasure as a person's
request (history included). The integrity check counts what is past its retention."""

import datetime

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from cooperatives.consent import CONTACT_FIELDS
from cooperatives.models import BureauMember, Organisation, OrganisationStatus, RegistryEvent
from offline.models import SyncChange

from .models import Erasure
from .records import _bureau, _contact
from .services import erase

ERASED = "[erased #"


def limit_day(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    years = settings.PERSONAL_DATA_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def contacts_past_retention(today: datetime.date | None = None):
    """Dissolved organisations whose dissolution is older than the limit, contact still held."""
    held = Q()
    for name in CONTACT_FIELDS:
        held |= ~Q(**{name: ""})
    return (Organisation.objects.filter(status=OrganisationStatus.DISSOLVED).filter(held)
            .annotate(dissolved_on=Max("events__date", filter=Q(
                events__kind=RegistryEvent.Kind.DISSOLUTION)))
            .filter(dissolved_on__lt=limit_day(today)))


def members_past_retention(today: datetime.date | None = None):
    """Bureau members whose mandate ended before the limit, name not yet pseudonymised."""
    return (BureauMember.objects.filter(mandate_end__lt=limit_day(today))
            .exclude(person_name__startswith=ERASED).select_related("reless"))


def pseudonymise_past_retention(today: datetime.date | None = None) -> int:
    """Erase what is past its retention; returns the number of records erased."""
    done = 0
    for organisation in contacts_past_retention(today).order_by("pk").iterator(chunk_size=500):
        erase(user=None, holding=_contact(organisation), cause=Erasure.Cause.RETENTION)
        done += 1
    for member in members_past_retention(today).order_by("pk"):
        erase(user=None, holding=_bureau(member), cause=Erasure.Cause.RETENTION)
        done += 1
    offline_changes_past_retention(today).delete()
    return done


def offline_changes_past_retention(today: datetime.date | None = None):
    """Offline changes received more than a year ago (register entry `offline_entry`), but
    the conflicts still waiting for a choice."""
    today = today or timezone.localdate()
    return (SyncChange.objects.filter(received_at__date__lt=today - datetime.timedelta(days=365))
            .exclude(status=SyncChange.Status.CONFLICT))


def past_retention_ids(limit: int) -> list:
    """For the integrity check: "organisation-<id>" and "bureau-<id>" past their retention."""
    ids = [f"organisation-{pk}" for pk in contacts_past_retention().order_by("pk")
           .values_list("pk", flat=True)[:limit]]
    ids += [f"bureau-{pk}" for pk in members_past_retention().order_by("pk")
            .values_list("pk", flat=True)[:limit]]
    return ids[:limit]
