"""The access log's page: who was shown which person's data. The national admin reads every
row, a CTD agent the rows of their communes; anyone else gets 404 (as the operations pages).
Newest first, filtered by commune, user and dates; each page is one query (the record's name,
office or diagnostic and the commune read by subqueries) besides the paginator's count."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, When
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.models import AccessLog
from communes.models import Commune
from cooperatives.access import BUREAU_MEMBER, ORGANISATION
from cooperatives.forms import DateInput
from cooperatives.models import BureauMember, Organisation
from cooperatives.permissions import scope_of
from diagnostics.access import ACTOR
from diagnostics.models import DiagnosticActor

PAGE_SIZE = 50


class AccessLogFilter(forms.Form):
    commune = forms.CharField(label=_("Commune (P-code)"), required=False, max_length=20)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def apply(self, rows: QuerySet) -> QuerySet:
        """The rows matching the valid filters (an invalid one is shown and not applied)."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("commune"):
            rows = rows.filter(commune_id__in=Commune.objects.filter(
                pcode__iexact=data["commune"].strip()).values("pk"))
        if data.get("user"):
            name = data["user"].strip()
            rows = rows.filter(Q(user__username__icontains=name)
                               | Q(user__first_name__icontains=name)
                               | Q(user__last_name__icontains=name))
        if data.get("since"):
            rows = rows.filter(at__date__gte=data["since"])
        if data.get("until"):
            rows = rows.filter(at__date__lte=data["until"])
        return rows


def access_rows_for(user) -> QuerySet:
    """The log rows the user may read: all for the national admin, their communes' for a
    CTD agent; 404 for anyone else."""
    scope = scope_of(user)
    if scope.is_admin:
        return AccessLog.objects.all()
    if scope.is_agent:
        return AccessLog.objects.filter(commune_id__in=scope.commune_ids)
    raise Http404


def _described(rows: QuerySet) -> QuerySet:
    """Each row with what it names: the organisation's name, the bureau member's office, the
    actor's diagnostic, and the commune's P-code and name (subqueries of the one query)."""
    def of(model, label, field):
        return Case(When(model=label, then=Subquery(
            model.objects.filter(pk=OuterRef("object_id")).values(field)[:1])))

    def commune(field):
        return Subquery(Commune.objects.filter(pk=OuterRef("commune_id")).values(field)[:1])

    return rows.select_related("user").annotate(
        organisation_name=of(Organisation, ORGANISATION, "name"),
        office=of(BureauMember, BUREAU_MEMBER, "office"),
        diagnostic_id=of(DiagnosticActor, ACTOR, "diagnostic_id"),
        commune_pcode=commune("pcode"), commune_name=commune("name_fr"))


@login_required
@require_safe
def access_log(request):
    rows = access_rows_for(request.user)
    form = AccessLogFilter(request.GET or None)
    rows = _described(form.apply(rows) if form.is_bound else rows).order_by("-at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    offices = dict(BureauMember.Office.choices)
    for row in page:
        row.office_label = offices.get(row.office, row.office)
        row.field_list = row.fields.replace(",", ", ")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "privacy/access_log.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "national": scope_of(request.user).is_admin})
