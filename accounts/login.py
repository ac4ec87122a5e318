"""The login forms of the site and of the admin, and the password-reset request form, all
behind one throttle (accounts/throttle.py): counted per account and per address."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import throttle

LOCKED = _("Too many failed attempts. Wait 15 minutes before trying again.")


class ThrottledLoginMixin:
    """For an AuthenticationForm: refuse while locked, count failures, clear on success."""

    def clean(self):
        username = self.data.get("username", "")
        if throttle.is_locked(self.request, username):
            raise ValidationError(LOCKED, code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.record_failure(self.request, username)
            raise
        throttle.clear_failures(self.request, username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login (staff only), on the same counters as the site's."""


class ThrottledPasswordResetForm(PasswordResetForm):
    """Every reset request counts as an attempt on the address and on the e-mail address."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        email = f"reset:{cleaned.get('email') or self.data.get('email', '')}"
        if throttle.is_locked(self.request, email):
            raise ValidationError(
                _("Too many password reset requests. Wait 15 minutes before trying again."),
                code="locked")
        throttle.record_failure(self.request, email)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        """Signed in: the language of the page is the person's, for the e-mails of their
        notices (accounts/tasks.py) until they choose another."""
        user = form.get_user()
        if user.language != get_language():
            user.language = get_language()
            user.save(update_fields=["language"])
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
