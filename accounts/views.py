"""The person's notices (`/me/notifications/`): read them, mark them read, choose whether
they are also e-mailed. Each person reads and changes only their own (404 otherwise)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import User
from .notifications import mark_read, notices_of

PAGE_SIZE = 20


class NoticeSettingsForm(forms.ModelForm):
    language = forms.ChoiceField(label=gettext_lazy("Language of the e-mails"),
                                 choices=settings.LANGUAGES)

    class Meta:
        model = User
        fields = ("email_notifications", "language")
        help_texts = {"email_notifications": gettext_lazy(
            "Your notices always appear here and on your page; this sends each one by "
            "e-mail too.")}


@login_required
def notifications(request):
    """The person's notices, newest first, and their e-mail setting (POST saves it)."""
    user = request.user
    form = NoticeSettingsForm(request.POST or None, instance=user,
                              initial={"language": user.language or get_language()})
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notice settings are saved."))
        return redirect("notifications")
    page = Paginator(notices_of(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {
        "page": page, "form": form, "has_email": bool(user.email),
        "unread": notices_of(user).unread().exists()})


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one notice read; with `open`, go on to what it is about."""
    notice = get_object_or_404(notices_of(request.user), pk=pk)
    mark_read(request.user, [notice.pk])
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
            notice.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(notice.url)
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request):
    mark_read(request.user)
    messages.success(request, _("All your notices are marked read."))
    return redirect("notifications")
