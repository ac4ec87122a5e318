"""A representative's own pages: their space (the landing page), the partners the
cooperation report suggests to their organisations, and the change requests they made.
They sit here, above the apps, because they gather the registry and the reports."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.notifications import latest_unread
from cooperatives.models import ChangeRequest, Organisation
from cooperatives.permissions import scope_of
from reports.partners import opportunities_naming

SUGGESTIONS_ON_LANDING = 3
REQUESTS_ON_LANDING = 5


def _represented(request):
    scope = scope_of(request.user)
    if not scope.organisation_ids:
        raise Http404
    return scope.organisation_ids


def _requests(user):
    return (ChangeRequest.objects.filter(requested_by=user)
            .select_related("organisation", "reviewer").order_by("-created_at", "-id"))


@login_required
@require_safe
def our_space(request):
    """A representative's landing page: their organisations, their latest notices, the
    partners suggested to them and their latest requests, and their commune's reports."""
    ids = _represented(request)
    organisations = (Organisation.objects.filter(pk__in=ids).select_related("commune")
                     .defer("commune__boundary").order_by("name", "pk"))
    suggestions = opportunities_naming(ids)
    requests = _requests(request.user)
    return render(request, "people/our_space.html", {
        "organisations": organisations,
        "suggestions": suggestions[:SUGGESTIONS_ON_LANDING],
        "suggestion_count": len(suggestions),
        "requests": requests[:REQUESTS_ON_LANDING],
        "request_count": requests.count(),
        "notices": latest_unread(request.user),
    })


@login_required
@require_safe
def my_suggestions(request):
    """Every opportunity of the latest cooperation runs that names one of the user's
    organisations, each with a way to propose the link."""
    return render(request, "people/suggestions.html",
                  {"suggestions": opportunities_naming(_represented(request))})


@login_required
@require_safe
def my_requests(request):
    """The change requests the user made, newest first, with their decisions."""
    _represented(request)
    page = Paginator(_requests(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "people/requests.html", {"page": page})
