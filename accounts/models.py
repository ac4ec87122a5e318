import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
