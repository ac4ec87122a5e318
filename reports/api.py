"""Report endpoints: read the latest done run; request a run (202); follow a run."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from communes.models import Commune
from cooperatives.models import ProjectTerritory
from cooperatives.permissions import (
    HasRole,
    can_recompute_territory,
    get_commune_for_user,
    get_territory_for_user,
)
from core.api import ApiViewMixin
from core.replica import ReplicaReadsMixin
from core.years import YEAR_MAX, YEAR_MIN, YEAR_SCHEMA, parse_year

from .frozen import approval_chain, frozen_report
from .models import ReportRun
from .reads import reads_country, recomputes_country
from .runs import latest_done, pending_run
from .tasks import request_national_recompute, request_report

ERROR = inline_serializer("Error", {"detail": serializers.CharField(),
                                    "errors": serializers.JSONField(required=False)})
RUN = inline_serializer("ReportRun", {
    "id": serializers.IntegerField(), "kind": serializers.CharField(),
    "scope": serializers.CharField(), "year": serializers.IntegerField(),
    "status": serializers.ChoiceField(choices=ReportRun.Status.choices),
    "queued_at": serializers.DateTimeField(),
    "not_before": serializers.DateTimeField(allow_null=True, help_text=(
        "A refresh queued after an edit waits until then; null: it runs at once.")),
    "started_at": serializers.DateTimeField(
        allow_null=True), "finished_at": serializers.DateTimeField(allow_null=True),
    "attempts": serializers.IntegerField(), "error": serializers.CharField(),
})
REPORT = inline_serializer("Report", {
    "kind": serializers.CharField(), "scope": serializers.CharField(),
    "year": serializers.IntegerField(), "computed_at": serializers.DateTimeField(),
    "refresh_pending": serializers.BooleanField(help_text=(
        "A run of the same scope and year is queued or running: newer figures are coming.")),
    "refresh_due": serializers.DateTimeField(allow_null=True, help_text=(
        "When a refresh queued after an edit will start (it gathers the edits until then); "
        "null when none waits.")),
    "run": serializers.IntegerField(), "result": serializers.JSONField(),
    "signed_off": serializers.BooleanField(help_text=(
        "True when the commune's year is closed: the figures are its frozen copy.")),
    "version": serializers.IntegerField(required=False, help_text=(
        "The closed year's version (a reopening and a new closure make the next one).")),
    "approval_chain": serializers.JSONField(required=False, help_text=(
        "The steps of that version: action, state reached, date, reason.")),
})
COMMUNE_PARAM = OpenApiParameter("commune", OpenApiTypes.STR, description=(
    "Commune P-code (e.g. CM002001001); omit for the national report."))
TERRITORY_PARAM = OpenApiParameter("territory", OpenApiTypes.STR, description=(
    "A project territory's code: its report (members on the report's day); instead of "
    "`commune`."))
YEAR_PARAM = OpenApiParameter("year", YEAR_SCHEMA, description=(
    "Report year (selects the diagnostic and interventions); default: the latest run."))
KIND_PARAM = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH,
                              enum=list(ReportRun.Kind.values))


def run_data(run: ReportRun) -> dict:
    return {"id": run.pk, "kind": run.kind, "scope": run.scope, "year": run.year,
            "status": run.status, "queued_at": run.queued_at,
            "not_before": run.not_before, "started_at": run.started_at,
            "finished_at": run.finished_at, "attempts": run.attempts, "error": run.error}



def _commune(request, pcode: str | None, *, write: bool = False) -> Commune | None:
    """The commune of the P-code if the user may read (or trigger) its reports, None for the
    country if the user may read (or trigger) the national report; else 404."""
    if pcode in (None, ""):
        allowed = recomputes_country if write else reads_country
        if not allowed(request.user):
            raise exceptions.NotFound(_("No national report for you here."))
        return None
    try:
        return get_commune_for_user(request.user, pcode, need="write" if write else "reports")
    except Http404:
        raise exceptions.NotFound(_("Unknown commune: %(pcode)s.") % {"pcode": pcode}) from None


def _territory(request, code: str, *, write: bool = False) -> ProjectTerritory:
    """An active project territory the user reads (queues runs of, with `write`: admins and
    agents of a member commune, 403 for other readers); else 404."""
    try:
        territory = get_territory_for_user(request.user, code, need="reports")
    except Http404:
        raise exceptions.NotFound(_("Unknown project territory: %(code)s.") % {
            "code": code}) from None
    if write and not can_recompute_territory(request.user, territory):
        raise exceptions.PermissionDenied(_("You may read this territory's reports but not "
                                            "recompute them."))
    return territory


def _kind(kind: str) -> str:
    if kind not in ReportRun.Kind.values:
        raise exceptions.NotFound(_("Unknown report kind."))
    return kind


class ReportView(ReplicaReadsMixin, ApiViewMixin, APIView):
    """The latest done report of a kind for a commune (?commune=PCODE) or the country."""

    permission_classes = [HasRole]
    kind = ReportRun.Kind.CONVERGENCE

    @extend_schema(parameters=[COMMUNE_PARAM, TERRITORY_PARAM, YEAR_PARAM],
                   responses={200: REPORT, 400: ERROR, 401: ERROR, 404: ERROR})
    def get(self, request):
        code = request.query_params.get("territory")
        territory = _territory(request, code) if code else None
        commune = None if territory else _commune(request, request.query_params.get("commune"))
        year = parse_year(request.query_params.get("year"))
        if commune is not None and year is not None:
            frozen = frozen_report(self.kind, commune, year)
            if frozen is not None:
                return Response(_frozen_answer(frozen, commune, year))
        run = latest_done(self.kind, commune=commune, year=year, territory=territory)
        if run is None:
            raise exceptions.NotFound(_("This report has not been computed yet."))
        pending = pending_run(run.kind, run.scope, run.year)
        waiting = pending is not None and pending.status == ReportRun.Status.QUEUED
        return Response({"kind": run.kind, "scope": run.scope, "year": run.year,
                         "computed_at": run.finished_at, "refresh_pending": pending is not None,
                         "refresh_due": pending.not_before if waiting else None,
                         "run": run.pk, "result": run.result, "signed_off": False})


def _frozen_answer(frozen, commune: Commune, year: int) -> dict:
    """A closed year's frozen report: the same every time it is read (no user names: the
    chain says which step, when and why)."""
    return {"kind": frozen.kind, "scope": commune.pcode, "year": year,
            "computed_at": frozen.computed_at, "run": frozen.run_id, "result": frozen.result,
            "signed_off": True, "version": frozen.version,
            "approval_chain": approval_chain(frozen.signoff)}


class ConvergenceReportView(ReportView):
    kind = ReportRun.Kind.CONVERGENCE


class CooperationReportView(ReportView):
    kind = ReportRun.Kind.COOPERATION


class ReportRunCreateView(ApiViewMixin, APIView):
    """Queue a run of a report for a commune (CTD agent, admin), a project territory (admin,
    CTD agents of a member commune; its other readers 403) or the country (admin)."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[KIND_PARAM],
        request=inline_serializer("ReportRunRequest", {
            "commune": serializers.CharField(required=False, help_text="Commune P-code."),
            "territory": serializers.CharField(required=False, help_text=(
                "A project territory's code (admins, CTD agents of a member commune).")),
            "year": serializers.IntegerField(required=False, min_value=YEAR_MIN,
                                             max_value=YEAR_MAX)}),
        responses={202: RUN, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def post(self, request, kind):
        kind = _kind(kind)
        data = request.data if isinstance(request.data, dict) else {}
        year_text = data.get("year")
        if data.get("territory"):
            territory = _territory(request, str(data["territory"]), write=True)
            year = parse_year(year_text, default=timezone.localdate().year)
            run = request_report(kind=kind, year=year, territory=territory, user=request.user)
            return Response(run_data(run), status=status.HTTP_202_ACCEPTED)
        commune = _commune(request, data.get("commune"), write=True)
        year = parse_year(year_text, default=timezone.localdate().year)
        if commune is None:
            runs = request_national_recompute(year=year, user=request.user)
            run = next(r for r in runs if r.kind == kind)
        else:
            run = request_report(kind=kind, year=year, commune=commune, user=request.user)
        return Response(run_data(run), status=status.HTTP_202_ACCEPTED)


class ReportRunDetailView(ApiViewMixin, APIView):
    """A run's status; visible to whoever may read its scope's reports."""

    permission_classes = [HasRole]

    @extend_schema(responses={200: RUN, 401: ERROR, 404: ERROR})
    def get(self, request, pk: str):
        if not (pk.isascii() and pk.isdigit()):
            raise exceptions.NotFound(_("Unknown report run."))
        run = get_object_or_404(ReportRun.objects.select_related("commune", "territory"),
                                pk=int(pk))
        if run.territory_id is not None:
            _territory(request, run.territory.code)
        else:
            _commune(request, run.commune.pcode if run.commune_id else None)
        return Response(run_data(run))
