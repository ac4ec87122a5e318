"""API tokens in the admin: the national admin issues them (the key is shown once) and revokes
them. Users and their roles are administered with the cooperatives' admin."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .login import ThrottledAdminAuthenticationForm
from .models import ApiToken, User

# The admin's login counts failures with the site's (one lock for every way in).
admin.site.login_form = ThrottledAdminAuthenticationForm


class ApiTokenAddForm(forms.ModelForm):
    days = forms.IntegerField(label=_("valid for (days)"), min_value=1, max_value=3650,
                              initial=365)

    class Meta:
        model = ApiToken
        fields = ("user", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("username")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "expires_at", "revoked_at",
                    "last_used_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "expires_at")
    list_select_related = ("user",)
    search_fields = ("prefix", "name", "user__username")
    ordering = ("-created_at", "-id")
    actions = ("revoke",)
    readonly_fields = ("user", "prefix", "created_at", "expires_at", "revoked_at",
                       "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "expires_at", "revoked_at",
              "last_used_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("user", "name", "days") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # tokens are revoked, never deleted, so their use stays on record

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, key = ApiToken.issue(user=form.cleaned_data["user"], name=form.cleaned_data["name"],
                                    days=form.cleaned_data["days"])
        obj.pk, obj._state.adding = token.pk, False
        for field in ("prefix", "key_hash", "created_at", "expires_at"):
            setattr(obj, field, getattr(token, field))
        messages.warning(request, format_html(
            "{} <code>{}</code>", _("Copy this key now: it is shown only once."), key))

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:  # one by one: each save retires the token's cached copy
            token.revoke()
        count = len(tokens)
        self.message_user(request, ngettext("%(count)d token revoked.",
                                            "%(count)d tokens revoked.", count)
                          % {"count": count}, messages.SUCCESS)
