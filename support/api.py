"""API for support programmes and enrolments: scoped reads, writes through the services.

Reads start from what the user may see (404 outside it). Writes call the same services as the
pages: a refused right answers 403, a broken rule 400 with the rule's message.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from cooperatives.permissions import HasRole, scope_of
from core.api import ApiViewMixin
from core.renderers import CSVRenderer

from . import services
from .filters import EnrolmentFilter, ProgrammeFilter
from .models import Enrolment, Programme
from .permissions import (
    enrolments_visible_to,
    get_programme_for_user,
    may_enrol,
    may_manage,
    programmes_visible_to,
)
from .selectors import enrolments_for_list, programmes_for_list
from .serializers import (
    EnrolmentCreateSerializer,
    EnrolmentSerializer,
    EnrolmentUpdateSerializer,
    ProgrammeSerializer,
    ProgrammeWriteSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="A rule is broken; `detail` says which."),
    403: OpenApiResponse(description="The user may not record or change this."),
    404: OpenApiResponse(description="Unknown, or outside the user's scope."),
}


class _Writes(ApiViewMixin):
    permission_classes = [HasRole]

    def _refuse_unless(self, allowed: bool) -> None:
        """The right is checked before the body is validated."""
        if not allowed:
            raise PermissionDenied

    def _input(self, serializer_class, partial: bool = False) -> dict:
        serializer = serializer_class(data=self.request.data, partial=partial,
                                      context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _may_record(user) -> bool:
    scope = scope_of(user)
    return scope.is_admin or scope.is_analyst or scope.is_agent


@extend_schema_view(
    retrieve=extend_schema(responses={200: ProgrammeSerializer, 404: ERRORS[404]}),
    create=extend_schema(request=ProgrammeWriteSerializer,
                         responses={201: ProgrammeSerializer, **ERRORS}),
    update=extend_schema(request=ProgrammeWriteSerializer,
                         responses={200: ProgrammeSerializer, **ERRORS}),
    partial_update=extend_schema(request=ProgrammeWriteSerializer,
                                 responses={200: ProgrammeSerializer, **ERRORS}),
)
class ProgrammeViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       viewsets.GenericViewSet):
    """Support programmes (owned by a ministry, a commune or a partner). Filters: commune
    (P-code: programmes covering it), ministry (acronym), owner_type, kind, year (dates
    overlap it)."""

    filterset_class = ProgrammeFilter
    serializer_class = ProgrammeSerializer
    queryset = Programme.objects.none()  # for the schema; see get_queryset
    renderer_classes = [JSONRenderer, CSVRenderer]

    def csv_columns(self, request):
        return ProgrammeSerializer.Meta.fields

    def get_queryset(self):
        visible = programmes_visible_to(self.request.user).order_by("-start_date", "id")
        return programmes_for_list(visible, self.request.user)

    def create(self, request, *args, **kwargs):
        self._refuse_unless(_may_record(request.user))
        programme = services.programme_record(user=request.user,
                                              **self._input(ProgrammeWriteSerializer))
        return Response(self._out(programme), status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        programme = self.get_object()
        self._refuse_unless(may_manage(request.user, programme))
        data = self._input(ProgrammeWriteSerializer, partial=partial)
        services.programme_update(user=request.user, programme=programme, **data)
        return Response(self._out(programme))

    def _out(self, programme: Programme) -> dict:
        fresh = programmes_for_list(Programme.objects.filter(pk=programme.pk),
                                    self.request.user).get()
        return ProgrammeSerializer(fresh, context=self.get_serializer_context()).data


@extend_schema_view(
    retrieve=extend_schema(responses={200: EnrolmentSerializer, 404: ERRORS[404]}),
    create=extend_schema(request=EnrolmentCreateSerializer,
                         responses={201: EnrolmentSerializer, **ERRORS}),
    update=extend_schema(request=EnrolmentUpdateSerializer,
                         responses={200: EnrolmentSerializer, **ERRORS}),
    partial_update=extend_schema(request=EnrolmentUpdateSerializer,
                                 responses={200: EnrolmentSerializer, **ERRORS}),
)
class EnrolmentViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       viewsets.GenericViewSet):
    """Organisations enrolled in support programmes, read through the organisation's
    commune. Filters: commune (the organisation's P-code), ministry (the programme's owner),
    owner_type, kind, outcome, programme, organisation, year (enrolment dates overlap it)."""

    filterset_class = EnrolmentFilter
    serializer_class = EnrolmentSerializer
    queryset = Enrolment.objects.none()  # for the schema; see get_queryset
    renderer_classes = [JSONRenderer, CSVRenderer]

    def csv_columns(self, request):
        return EnrolmentSerializer.Meta.fields

    def get_queryset(self):
        visible = enrolments_visible_to(self.request.user).order_by("-start_date", "id")
        return enrolments_for_list(visible)

    def create(self, request, *args, **kwargs):
        self._refuse_unless(_may_record(request.user))
        data = self._input(EnrolmentCreateSerializer)
        programme = get_programme_for_user(request.user, data.pop("programme"))
        enrolment = services.enrolment_record(user=request.user, programme=programme, **data)
        return Response(self._out(enrolment), status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        enrolment = self.get_object()
        self._refuse_unless(may_enrol(request.user, enrolment.programme,
                                      enrolment.organisation.commune_id))
        data = self._input(EnrolmentUpdateSerializer, partial=partial)
        services.enrolment_update(user=request.user, enrolment=enrolment, **data)
        return Response(self._out(enrolment))

    def _out(self, enrolment: Enrolment) -> dict:
        fresh = enrolments_for_list(Enrolment.objects.filter(pk=enrolment.pk)).get()
        return EnrolmentSerializer(fresh, context=self.get_serializer_context()).data
