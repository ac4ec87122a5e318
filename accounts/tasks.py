"""The e-mail of notices, sent by a worker after the commit that created them (thin: load,
render in the recipient's language, send, record)."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import AccessLog, Notification

logger = logging.getLogger(__name__)
RETRY_SECONDS = 300


@shared_task(bind=True, max_retries=3)
def send_notice_emails(self, notice_ids: list[int]) -> int:
    """E-mail each notice not e-mailed yet to its recipient, if they still want e-mails and
    have an address; how many were sent. A failing mail server is logged and, on a worker,
    tried again later (the notices sent already are not sent twice); in-process it is
    given up, so the request that queued it is never held up."""
    notices = (Notification.objects.filter(pk__in=notice_ids, emailed_at__isnull=True)
               .select_related("recipient").order_by("pk"))
    sent, failed = 0, False
    for notice in notices:
        recipient = notice.recipient
        if not (recipient.email and recipient.email_notifications and recipient.is_active):
            continue
        try:
            send_mail(*_message(notice), settings.DEFAULT_FROM_EMAIL, [recipient.email])
        except Exception:  # noqa: BLE001 - SMTP, DNS, TLS errors of every kind
            logger.exception("could not e-mail notice %s", notice.pk)
            failed = True
            continue
        Notification.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
        sent += 1
    if failed and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=RETRY_SECONDS)
    return sent


def _message(notice: Notification) -> tuple[str, str]:
    """(subject, body) in the recipient's language (French when unknown)."""
    with translation.override(notice.recipient.language or settings.LANGUAGE_CODE):
        site = settings.SITE_URL.rstrip("/")
        body = render_to_string("accounts/notice_email.txt", {
            "notice": notice, "user": notice.recipient,
            "link": f"{site}{notice.url}" if notice.url else "",
            "settings_link": f"{site}{reverse('notifications')}"})
        return f"RELESS · {notice.title}", body


@shared_task
def purge_access_log() -> int:
    """Delete the access log's rows older than ACCESS_LOG_KEEP_DAYS (365); how many."""
    deleted, _ = AccessLog.objects.older_than(settings.ACCESS_LOG_KEEP_DAYS).delete()
    return deleted
