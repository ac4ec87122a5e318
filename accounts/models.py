import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import notice_texts
from .stamps import retire_tokens


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """A bulk update (a deactivation from a shell) retires the users' cached tokens."""
        key_hashes = list(ApiToken.objects.filter(user__in=self).values_list("key_hash", flat=True))
        count = super().update(**kwargs)
        retire_tokens(key_hashes)
        return count


class UserManagerWithUpdates(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person with an account. What they may do comes from their role assignments."""

    # Notices always appear on the platform; this says whether they are also e-mailed.
    email_notifications = models.BooleanField(_("e-mail me my notices"), default=True)
    # The language of the e-mails sent to the person: the one of their last login or of
    # their notice settings; empty (never known) means French.
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)

    objects = UserManagerWithUpdates()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        """How pages name the person: the full name, the username only when no name is known."""
        return self.get_full_name() or self.get_username()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Tokens neither revoked nor expired, now."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def update(self, **kwargs):
        """A bulk update (a revocation from a shell) retires the cached tokens; recording the
        last use alone does not."""
        if set(kwargs) <= {"last_used_at"}:
            return super().update(**kwargs)
        key_hashes = list(self.values_list("key_hash", flat=True))
        count = super().update(**kwargs)
        retire_tokens(key_hashes)
        return count


class ApiToken(models.Model):
    """A bearer token for ministries and integrators; only its SHA-256 hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str, days: int = 365) -> tuple["ApiToken", str]:
        """Create a token; the clear key is returned once and never stored."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=key[:8], key_hash=cls.hash_key(key),
            expires_at=timezone.now() + timezone.timedelta(days=days),
        )
        return token, key

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class FailureCounter(models.Model):
    """Failed logins (and password-reset requests, bad API tokens) of one account or one
    address in the current window, when the cache is not Redis: every worker process counts
    in this one table."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"


class CacheEntry(models.Model):
    """The table of Django's database cache (`CACHES` without REDIS_URL), created by a
    migration so that no deployment has to remember `createcachetable`. Same columns as that
    command makes; only the cache reads and writes it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "reless_cache"

    def __str__(self):
        return self.cache_key


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        """Notices not read yet."""
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A notice to one person about an event of the registry (a decision on their change
    request, a link naming their organisation, a new cooperation opportunity). Its text is
    made, in the reader's language, from `kind` and `params` (accounts/notice_texts.py); it
    names the objects it is about by id only, as this app sits below the registry."""

    class Kind(models.TextChoices):
        CHANGE_APPROVED = "change_approved", _("Change request approved")
        CHANGE_REJECTED = "change_rejected", _("Change request rejected")
        LINK_PROPOSED = "link_proposed", _("Link proposed")
        LINK_CONFIRMED = "link_confirmed", _("Link confirmed")
        LINK_REFUSED = "link_refused", _("Link refused")
        LINK_ENDED = "link_ended", _("Link ended")
        OPPORTUNITY = "opportunity", _("New cooperation opportunity")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                                  related_name="notifications", verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The organisation the notice concerns (the recipient's), and the object it is about:
    # ("change_request", id), ("link", id) or ("organisation", the partner's id).
    organisation_id = models.PositiveBigIntegerField(_("organisation"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=20, blank=True)
    object_id = models.PositiveBigIntegerField(_("object"), null=True, blank=True)
    # Values of the text: a string, or {"fr": ..., "en": ...} for a name in both languages.
    params = models.JSONField(_("text values"), default=dict)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread_idx"),
                   models.Index(fields=["recipient", "-created_at"], name="notice_latest_idx")]

    def __str__(self):
        return f"{self.recipient_id} {self.kind} {self.created_at:%Y-%m-%d}"

    @property
    def title(self) -> str:
        return notice_texts.title(self.kind)

    @property
    def text(self) -> str:
        """The notice in the active language."""
        return notice_texts.text(self.kind, self.params)


class AccessLogQuerySet(models.QuerySet):
    def older_than(self, days: int):
        """Rows written more than `days` days ago (the nightly purge's)."""
        return self.filter(at__lt=timezone.now() - datetime.timedelta(days=days))


class AccessLog(models.Model):
    """One person's data shown to a user: who, when, which record, which fields (their names,
    never their values), through which channel. Written in batches by `access_log`; the commune
    is a plain integer (this app stands below the communes' and the registry's)."""

    class Channel(models.TextChoices):
        PAGE = "page", _("page")
        API = "api", _("API")
        EXPORT = "export", _("export")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                             related_name="+", verbose_name=_("user"))
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    model = models.CharField(_("record type"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("record"))
    commune_id = models.PositiveIntegerField(_("commune"), null=True, db_index=True)
    fields = models.CharField(_("fields"), max_length=200)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    path = models.CharField(_("address"), max_length=200)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access to personal data")
        verbose_name_plural = _("accesses to personal data")
        indexes = [models.Index(fields=["model", "object_id"], name="accesslog_record")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.model} {self.object_id} {self.fields}"
