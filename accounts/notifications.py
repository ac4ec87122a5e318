"""Notices to people, and what awaits them: the one way to create a notice (`notify`, which
queues its e-mail after the commit), and what the menu shows on every page (`menu_counts`,
`latest_unread`).

The registry's events happen in apps above this one: their services call `notify` with
the recipients and the values of the text. What awaits a person (change requests to
review, links to confirm, years returned) is counted by those apps too: each hands this
module, at start-up, a source of named SQL expressions (`provide_awaiting`), and
`menu_counts` reads every expression in one query.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Expression, F, Func, QuerySet, Subquery
from django.utils import timezone

from .models import Notification, User
from .tasks import send_notice_emails

logger = logging.getLogger(__name__)


# Creating notices ----------------------------------------------------------------------------

def notify(recipients: Iterable[User], kind: str, *, params: dict, url: str = "",
           organisation_id: int | None = None, object_type: str = "",
           object_id: int | None = None) -> list[Notification]:
    """One notice per recipient (each person once), and, after the commit, one task e-mailing
    those who want e-mails and have an address. The e-mail never holds up the caller: it is
    sent by a Celery task, and a broker or mail server failure is logged, never raised."""
    people = {user.pk: user for user in recipients if user is not None and user.is_active}
    notices = Notification.objects.bulk_create([
        Notification(recipient_id=pk, kind=kind, params=params, url=url,
                     organisation_id=organisation_id, object_type=object_type,
                     object_id=object_id) for pk in sorted(people)])
    to_mail = [n.pk for n in notices if _wants_email(people[n.recipient_id])]
    if to_mail:
        transaction.on_commit(lambda: queue_emails(to_mail), robust=True)
    return notices


def _wants_email(user: User) -> bool:
    return bool(user.email) and user.email_notifications


def queue_emails(notice_ids: list[int]) -> None:
    """Hand the notices' e-mails to the worker; a broker out of reach loses them (logged):
    the notices themselves are kept, on the platform."""
    try:
        send_notice_emails.delay(notice_ids)
    except Exception:  # noqa: BLE001 - kombu/redis connection errors of every kind
        logger.exception("could not queue the e-mails of notices %s", notice_ids)


# Reading notices -----------------------------------------------------------------------------

def notices_of(user) -> QuerySet:
    """The person's own notices, newest first: the only way pages read notices."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def latest_unread(user, limit: int = 5) -> list[Notification]:
    """The person's `limit` newest unread notices (one query; none for anonymous visitors),
    for `templates/accounts/_notifications_short.html` (as `notices`)."""
    if not user.is_authenticated:
        return []
    return list(notices_of(user).unread()[:limit])


def mark_read(user, notice_ids: Iterable[int] | None = None) -> int:
    """Mark read the person's notices (those of `notice_ids`, or all); how many changed."""
    notices = notices_of(user).unread()
    if notice_ids is not None:
        notices = notices.filter(pk__in=list(notice_ids))
    return notices.update(read_at=timezone.now())


# What awaits a person -------------------------------------------------------------------------

@dataclass
class Awaiting:
    """What one source counts for a person: named SQL expressions (read in the one query of
    `menu_counts`, under these names) and how to turn their values into menu items
    (label, url, count)."""

    values: dict[str, Expression] = field(default_factory=dict)
    items: Callable[[dict], list[tuple[str, str, int]]] = lambda row: []


AwaitingSource = Callable[[User], Awaiting | None]
_sources: list[AwaitingSource] = []


def provide_awaiting(source: AwaitingSource) -> None:
    """Called by the apps above at start-up (their `AppConfig.ready`)."""
    if source not in _sources:
        _sources.append(source)


def count_of(queryset: QuerySet) -> Subquery:
    """A scalar subquery counting the queryset's rows (0 when none), for `Awaiting.values`."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT"))
                    .values("n")[:1])


def menu_counts(user) -> dict:
    """What the menu shows on every page: `unread` notices, `awaiting` (the sum of the
    items' counts) and `awaiting_items`, a list of (label, url, count) with a count above 0,
    e.g. the change requests a CTD agent's commune has to review. One query for anyone
    signed in, whatever awaits them (the role rows read by the scope excepted, cached);
    none for anonymous visitors."""
    if not user.is_authenticated:
        return {"unread": 0, "awaiting": 0, "awaiting_items": []}
    parts = [part for part in (source(user) for source in _sources) if part is not None]
    values = {"unread": count_of(Notification.objects.filter(recipient=user.pk,
                                                             read_at__isnull=True))}
    for part in parts:
        values.update(part.values)
    row = User.objects.filter(pk=user.pk).values(**values).first() or {}
    items = [item for part in parts for item in part.items(row) if item[2] > 0]
    return {"unread": row.get("unread") or 0, "awaiting": sum(item[2] for item in items),
            "awaiting_items": items}
