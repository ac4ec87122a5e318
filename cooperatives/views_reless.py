"""The commune's RELESS: its bureau with mandates, its member organisations, and its edits."""

from itertools import chain

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.forms import add_service_errors

from . import services
from .access import log_bureau
from .forms import BureauMemberForm, RelessForm, RelessMemberForm
from .models import BureauMember, Organisation, Reless
from .permissions import can_write_commune, get_bureau_member_for_user, get_commune_for_user
from .views_common import history_entries


@login_required
@require_safe
def reless_detail(request, pcode):
    """Read by the commune's agents and its organisations' representatives."""
    commune = get_commune_for_user(request.user, pcode)
    reless = Reless.objects.filter(commune=commune).first()
    members = (Organisation.objects.in_commune(commune)
               .filter(reless_member_since__isnull=False)
               .select_related("primary_filiere").order_by("reless_member_since", "name"))
    can_write = can_write_commune(request.user, commune.pk)
    bureau = _bureau_by_mandate(reless)
    log_bureau(request, chain(bureau["bureau"], *(g for _, _, g in bureau["past_mandates"])),
               commune.pk)
    return render(request, "cooperatives/reless_detail.html", {
        "commune": commune, "reless": reless, "members": members, "can_write": can_write,
        **bureau,
        "member_form": RelessMemberForm(commune=commune) if can_write else None,
        "history": _reless_history(reless),
    })


def _bureau_by_mandate(reless: Reless | None) -> dict:
    """The current bureau (mandates running today, or starting later) and the past mandates,
    each a (start, end, members) group, newest first."""
    members = list(reless.bureau.select_related("organisation")) if reless else []
    today = timezone.localdate()
    past: dict[tuple, list] = {}
    for member in members:
        if member.mandate_end is not None and member.mandate_end < today:
            past.setdefault((member.mandate_start, member.mandate_end), []).append(member)
    return {
        "bureau": [m for m in members if m.mandate_end is None or m.mandate_end >= today],
        "past_mandates": [(start, end, group) for (start, end), group in
                          sorted(past.items(), key=lambda item: item[0], reverse=True)],
    }


def _reless_history(reless: Reless | None) -> list:
    """The RELESS's own records and its bureau members', newest first."""
    if reless is None:
        return []
    own = history_entries(reless.history.all())
    bureau = history_entries(BureauMember.history.filter(reless_id=reless.pk),
                             label=lambda r: f"{r.get_office_display()}: {r.person_name}")
    return sorted(chain(own, bureau), key=lambda e: e.date, reverse=True)


@login_required
def reless_edit(request, pcode):
    commune = get_commune_for_user(request.user, pcode, need="write")
    instance = Reless.objects.filter(commune=commune).first() or Reless(commune=commune)
    form = RelessForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.reless_save(user=request.user, commune=commune, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The RELESS is saved."))
            return redirect("reless_detail", pcode=commune.pcode)
    return _form_page(request, form, commune, _("The RELESS of %(commune)s"), _("Save"))


@login_required
def bureau_member_create(request, pcode):
    commune = get_commune_for_user(request.user, pcode, need="write")
    reless = Reless.objects.filter(commune=commune).first()
    if reless is None:
        messages.error(request, _("Record the RELESS before its bureau."))
        return redirect("reless_edit", pcode=commune.pcode)
    return _bureau_form(request, commune, reless, None)


@login_required
def bureau_member_edit(request, pk):
    member = get_bureau_member_for_user(request.user, pk)
    return _bureau_form(request, member.reless.commune, member.reless, member)


def _bureau_form(request, commune, reless, member):
    form = BureauMemberForm(request.POST or None, instance=member, commune=commune)
    if request.method == "POST" and form.is_valid():
        try:
            services.bureau_member_save(user=request.user, reless=reless, member=member,
                                        **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The bureau is saved."))
            return redirect("reless_detail", pcode=commune.pcode)
    title = _("Bureau member of %(commune)s's RELESS")
    return _form_page(request, form, commune, title, _("Save"),
                      _("When a mandate ends, record its end date: bureau members are kept."),
                      privacy_entry="bureau_member")


@login_required
def reless_membership(request, pcode):
    """Record when an organisation of the commune joined the RELESS (or that it left)."""
    commune = get_commune_for_user(request.user, pcode, need="write")
    form = RelessMemberForm(request.POST or None, commune=commune)
    if request.method == "POST" and form.is_valid():
        try:
            services.reless_membership_set(user=request.user,
                                           organisation=form.cleaned_data["organisation"],
                                           since=form.cleaned_data["since"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The RELESS membership is saved."))
            return redirect("reless_detail", pcode=commune.pcode)
    return _form_page(request, form, commune, _("Membership of %(commune)s's RELESS"),
                      _("Save"))


def _form_page(request, form, commune, title, submit, intro="", privacy_entry=""):
    return render(request, "cooperatives/simple_form.html", {
        "form": form, "title": title % {"commune": commune.name}, "submit": submit,
        "intro": intro, "back": reverse("reless_detail", args=[commune.pcode]),
        "privacy_entry": privacy_entry,  # the register's entry the notice link points at
    })
