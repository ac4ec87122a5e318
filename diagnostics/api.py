"""API for diagnostics and interventions: scoped reads, writes through the services.

Reads start from what the user may see (404 outside it). Writes call the same services as the
HTML forms: a refused right answers 403, a broken rule 400 with the rule's message.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cooperatives.permissions import HasRole, can_write_commune, scope_of
from core.api import ApiViewMixin

from . import services
from .access import log_actors
from .filters import DiagnosticFilter, InterventionFilter
from .models import Intervention, TerritorialDiagnostic
from .permissions import (
    can_record_intervention,
    diagnostics_visible_to,
    interventions_visible_to,
    shows_people,
)
from .selectors import (
    diagnostic_history,
    diagnostics_for_api,
    intervention_history,
    interventions_for_list,
)
from .serializers import (
    ChangeSerializer,
    DiagnosticCopySerializer,
    DiagnosticCreateSerializer,
    DiagnosticSerializer,
    DiagnosticUpdateSerializer,
    EntrySerializer,
    EntryWriteSerializer,
    InterventionCreateSerializer,
    InterventionSerializer,
    InterventionUpdateSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="A rule is broken; `detail` says which."),
    403: OpenApiResponse(description="The user may read but not change this."),
    404: OpenApiResponse(description="Unknown, or outside the user's scope."),
}



class _Scoped(ApiViewMixin):
    permission_classes = [HasRole]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_people"] = shows_people(self.request.user)
        return context

    def _refuse_unless(self, allowed: bool) -> None:
        """The right is checked before the body is validated: a caller who may only read
        learns nothing from validation errors."""
        if not allowed:
            raise exceptions.PermissionDenied

    def _input(self, serializer_class, partial: bool = False) -> dict:
        serializer = serializer_class(data=self.request.data, partial=partial,
                                      context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _output(self, serializer_class, instance, code=status.HTTP_200_OK) -> Response:
        context = self.get_serializer_context()
        return Response(serializer_class(instance, context=context).data, status=code)


@extend_schema_view(
    list=extend_schema(summary="Diagnostics the user may read, with their rows"),
    retrieve=extend_schema(summary="A diagnostic with its entries, project ideas, actors and "
                                   "resources", responses={200: DiagnosticSerializer,
                                                           404: ERRORS[404]}),
    create=extend_schema(summary="Start a draft diagnostic (CTD agents of the commune)",
                         request=DiagnosticCreateSerializer,
                         responses={201: DiagnosticSerializer, **ERRORS}),
    update=extend_schema(summary="Change a draft's year or source",
                         request=DiagnosticUpdateSerializer,
                         responses={200: DiagnosticSerializer, **ERRORS}),
    partial_update=extend_schema(summary="Change a draft's year or source",
                                 request=DiagnosticUpdateSerializer,
                                 responses={200: DiagnosticSerializer, **ERRORS}),
)
class DiagnosticViewSet(_Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.UpdateModelMixin,
                        viewsets.GenericViewSet):
    """Territorial diagnostics on the PCD grid. Filters: commune (P-code), year, status."""

    filterset_class = DiagnosticFilter
    serializer_class = DiagnosticSerializer
    queryset = TerritorialDiagnostic.objects.none()  # for the schema; see get_queryset

    def get_queryset(self):
        visible = diagnostics_visible_to(self.request.user).order_by("commune__pcode", "-year",
                                                                     "-id")
        return diagnostics_for_api(visible)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        for diagnostic in page:
            log_actors(request, diagnostic, diagnostic.actors.all(), channel="api")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        diagnostic = self.get_object()
        log_actors(request, diagnostic, diagnostic.actors.all(), channel="api")
        return Response(self.get_serializer(diagnostic).data)

    def create(self, request, *args, **kwargs):
        scope = scope_of(request.user)
        self._refuse_unless(scope.is_admin or scope.is_agent)
        data = self._input(DiagnosticCreateSerializer)
        diagnostic = services.diagnostic_create(user=request.user, **data)
        return self._output(DiagnosticSerializer, self._reload(diagnostic),
                            status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        diagnostic = self._writable_object()
        data = self._input(DiagnosticUpdateSerializer, partial=partial)
        services.diagnostic_update(user=request.user, diagnostic=diagnostic, **data)
        return self._output(DiagnosticSerializer, self._reload(diagnostic))

    @extend_schema(summary="Add a need to a draft diagnostic", request=EntryWriteSerializer,
                   responses={201: EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def entries(self, request, pk=None):
        diagnostic = self._writable_object()
        data = self._input(EntryWriteSerializer)
        entry = services.diagnostic_entry_add(user=request.user, diagnostic=diagnostic, **data)
        return self._output(EntrySerializer, entry, status.HTTP_201_CREATED)

    @extend_schema(summary="Validate a draft (CTD agents of the commune)", request=None,
                   responses={200: DiagnosticSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        diagnostic = self._writable_object()
        services.diagnostic_validate(user=request.user, diagnostic=diagnostic)
        return self._output(DiagnosticSerializer, self._reload(diagnostic))

    @extend_schema(summary="Start another year's draft as a copy of this diagnostic",
                   request=DiagnosticCopySerializer,
                   responses={201: DiagnosticSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        diagnostic = self._writable_object()
        data = self._input(DiagnosticCopySerializer)
        copy = services.diagnostic_copy_to_year(user=request.user, diagnostic=diagnostic,
                                                **data)
        return self._output(DiagnosticSerializer, self._reload(copy),
                            status.HTTP_201_CREATED)

    @extend_schema(summary="Who changed what in the diagnostic, newest first",
                   responses={200: ChangeSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        diagnostic = self.get_object()
        changes = diagnostic_history(diagnostic, show_people=shows_people(request.user))
        return Response(ChangeSerializer(changes, many=True).data)

    def _writable_object(self) -> TerritorialDiagnostic:
        """The diagnostic (404 out of reach); 403 when the caller may read but not change it."""
        diagnostic = self.get_object()
        self._refuse_unless(can_write_commune(self.request.user, diagnostic.commune_id))
        return diagnostic

    def _reload(self, diagnostic):
        return diagnostics_for_api(TerritorialDiagnostic.objects).get(
            pk=diagnostic.pk)


@extend_schema_view(
    list=extend_schema(summary="Interventions the user may read"),
    retrieve=extend_schema(summary="An intervention",
                           responses={200: InterventionSerializer, 404: ERRORS[404]}),
    create=extend_schema(summary="Record an intervention (analysts: their ministry's; CTD "
                                 "agents: in their commune)",
                         request=InterventionCreateSerializer,
                         responses={201: InterventionSerializer, **ERRORS}),
    update=extend_schema(summary="Change an intervention", request=InterventionUpdateSerializer,
                         responses={200: InterventionSerializer, **ERRORS}),
    partial_update=extend_schema(summary="Change an intervention",
                                 request=InterventionUpdateSerializer,
                                 responses={200: InterventionSerializer, **ERRORS}),
)
class InterventionViewSet(_Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, mixins.UpdateModelMixin,
                          viewsets.GenericViewSet):
    """Ministries' interventions in communes. Filters: commune (P-code), ministry (acronym),
    year (interventions whose dates overlap it)."""

    filterset_class = InterventionFilter
    serializer_class = InterventionSerializer
    queryset = Intervention.objects.none()  # for the schema; see get_queryset

    def get_queryset(self):
        visible = interventions_visible_to(self.request.user).order_by("-start_date", "id")
        return interventions_for_list(visible)

    def create(self, request, *args, **kwargs):
        scope = scope_of(request.user)
        self._refuse_unless(scope.is_admin or scope.is_agent or scope.is_analyst)
        data = self._input(InterventionCreateSerializer)
        intervention = services.intervention_record(user=request.user, **data)
        return self._output(InterventionSerializer, self._reload(intervention),
                            status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        intervention = self.get_object()
        self._refuse_unless(can_record_intervention(request.user, intervention.commune_id,
                                                    intervention.ministry_id))
        data = self._input(InterventionUpdateSerializer, partial=partial)
        services.intervention_update(user=request.user, intervention=intervention, **data)
        return self._output(InterventionSerializer, self._reload(intervention))

    @extend_schema(summary="Who changed what in the intervention, newest first",
                   responses={200: ChangeSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        intervention = self.get_object()
        changes = intervention_history(intervention, show_people=shows_people(request.user))
        return Response(ChangeSerializer(changes, many=True).data)

    def _reload(self, intervention):
        return interventions_for_list(Intervention.objects).get(pk=intervention.pk)
