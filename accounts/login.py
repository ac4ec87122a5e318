"""Login protection: failed logins are counted per account and per address in the cache
(Redis in production); past the limit the form refuses to try for a while."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FAILURES_PER_ACCOUNT = getattr(settings, "LOGIN_FAILURES_PER_ACCOUNT", 5)
FAILURES_PER_ADDRESS = getattr(settings, "LOGIN_FAILURES_PER_ADDRESS", 20)
LOCK_SECONDS = getattr(settings, "LOGIN_LOCK_SECONDS", 900)


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _keys(request, username: str) -> list[tuple[str, int]]:
    return [(f"login-fail:user:{username.strip().lower()}", FAILURES_PER_ACCOUNT),
            (f"login-fail:addr:{client_address(request)}", FAILURES_PER_ADDRESS)]


def is_locked(request, username: str) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(request, username))


def record_failure(request, username: str) -> None:
    for key, _limit in _keys(request, username):
        if cache.add(key, 1, LOCK_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOCK_SECONDS)


def clear_failures(request, username: str) -> None:
    cache.delete(_keys(request, username)[0][0])


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed attempts. Wait 15 minutes before trying again."),
    }

    def clean(self):
        username = self.data.get("username", "")
        if is_locked(self.request, username):
            raise ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            record_failure(self.request, username)
            raise
        clear_failures(self.request, username)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True
