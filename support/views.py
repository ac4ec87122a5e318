"""Pages for support programmes and enrolments. Views are thin: fetch through the
404-answering helpers, validate with a form, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cooperatives.permissions import scope_of
from core.forms import add_service_errors

from . import services
from .filters import ProgrammeFilter
from .forms import EnrolmentForm, ProgrammeForm
from .permissions import (
    enrolments_visible_to,
    get_enrolment_for_user,
    get_programme_for_user,
    may_manage,
    programmes_visible_to,
)
from .selectors import (
    enrolment_history,
    enrolments_for_list,
    programme_history,
    programmes_for_list,
)

PAGE_SIZE = 50


def _attempt(form, function, **kwargs):
    """Call a service; a broken rule shows on the form. Returns (succeeded, result)."""
    try:
        return True, function(**kwargs)
    except ValidationError as error:
        add_service_errors(form, error)
        return False, None


def _may_record(user) -> bool:
    scope = scope_of(user)
    return scope.is_admin or scope.is_analyst or scope.is_agent


@login_required
def programme_list(request):
    """The support programmes the user may read, filtered."""
    filterset = ProgrammeFilter(request.GET, queryset=programmes_visible_to(request.user))
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    rows = programmes_for_list(rows.order_by("-start_date", "id"), request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "support/programme_list.html", {
        "filterset": filterset, "page": Paginator(rows, PAGE_SIZE).get_page(
            request.GET.get("page")),
        "query": query.urlencode(), "can_record": _may_record(request.user)})


@login_required
def programme_create(request):
    """Record a programme (the service refuses an owner the user may not speak for: 403)."""
    if not _may_record(request.user):
        raise Http404
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, programme = _attempt(form, services.programme_record, user=request.user,
                                 **form.service_fields())
        if ok:
            messages.success(request, _("Programme recorded."))
            return redirect("programme_detail", pk=programme.pk)
    return render(request, "support/programme_form.html", {"form": form})


@login_required
def programme_detail(request, pk):
    """A programme, the enrolments the user may read and its history."""
    programme = get_programme_for_user(request.user, pk)
    enrolments = enrolments_for_list(enrolments_visible_to(
        request.user, programme.enrolments.order_by("organisation__name", "id")))
    communes = list(programme.communes.order_by("pcode").only("pcode", "name_fr", "name_en"))
    return render(request, "support/programme_detail.html", {
        "programme": programme, "enrolments": enrolments, "communes": communes,
        "history": programme_history(programme, request.user),
        "can_edit": may_manage(request.user, programme, [c.pk for c in communes]),
        "can_enrol": _may_enrol_here(request.user, programme, communes)})


def _may_enrol_here(user, programme, communes) -> bool:
    """Whether to offer "Enrol an organisation": the admin, the owner ministry's analysts,
    the agents of a covered commune (whose organisations they may enrol)."""
    scope = scope_of(user)
    return (scope.is_admin or any(c.pk in scope.commune_ids for c in communes)
            or (programme.owner_type == "ministry" and programme.ministry_id in scope.ministry_ids))


@login_required
def programme_edit(request, pk):
    """Change a programme."""
    programme = get_programme_for_user(request.user, pk, write=True)
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        ok, _result = _attempt(form, services.programme_update, user=request.user,
                               programme=programme, **form.service_fields())
        if ok:
            messages.success(request, _("Saved."))
            return redirect("programme_detail", pk=programme.pk)
    return render(request, "support/programme_form.html", {"form": form,
                                                            "programme": programme})


@login_required
def enrolment_create(request, pk):
    """Enrol an organisation in the programme."""
    programme = get_programme_for_user(request.user, pk)
    if not _may_record(request.user):
        raise Http404
    form = EnrolmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        ok, _result = _attempt(form, services.enrolment_record, user=request.user,
                               programme=programme, **form.cleaned_data)
        if ok:
            messages.success(request, _("Organisation enrolled."))
            return redirect("programme_detail", pk=programme.pk)
    return render(request, "support/enrolment_form.html", {"form": form,
                                                            "programme": programme})


@login_required
def enrolment_edit(request, pk):
    """Change an enrolment's dates, outcome or note."""
    enrolment = get_enrolment_for_user(request.user, pk, write=True)
    form = EnrolmentForm(request.POST or None, instance=enrolment, user=request.user)
    if request.method == "POST" and form.is_valid():
        ok, _result = _attempt(form, services.enrolment_update, user=request.user,
                               enrolment=enrolment, **form.cleaned_data)
        if ok:
            messages.success(request, _("Saved."))
            return redirect("programme_detail", pk=enrolment.programme_id)
    return render(request, "support/enrolment_form.html", {
        "form": form, "programme": enrolment.programme, "enrolment": enrolment,
        "history": enrolment_history(enrolment, request.user)})
