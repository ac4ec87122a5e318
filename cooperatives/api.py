"""The organisations and their aggregates in the REST API (/api/v1/).

Thin views: scope with cooperatives.permissions (or `organisations_aggregated_for`), filter
with cooperatives.filters, write with cooperatives.services, count with
cooperatives.selectors. Out-of-scope objects answer 404; a role that may read an object but
not change it answers 403; a logged-in account with no role answers 403 everywhere here.
"""

import functools
import hashlib

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from communes.models import Commune
from core.api import FORMAT_PARAMETER, ApiViewMixin, error_responses
from core.pagination import release_rows
from core.renderers import CSVRenderer
from core.replica import ReplicaReadsMixin
from core.years import YEAR_SCHEMA
from sectors.models import Filiere

from . import closed_years, freshness
from .access import log_history, log_organisations
from .api_history import HISTORY_SCHEMA, history_response
from .consent import CONTACT_FIELDS, contact_shown
from .filters import AggregateFilterSet, CommuneAggregateFilterSet, OrganisationFilterSet
from .models import COUNT_FIELDS, Organisation, OrganisationStatus, verification_cutoff
from .permissions import (
    HasRole,
    Scope,
    can_read_commune_reports,
    get_commune_for_user,
    get_organisation_for_user,
    organisations_listed_for,
    scope_of,
)
from .reference_rows import attach
from .selectors import (
    COLUMNS,
    GROUPINGS,
    LEVELS,
    organisation_aggregates,
    organisations_aggregated_for,
)
from .serializers import (
    CONSENT_FIELD,
    PERSONAL_FIELDS,
    PUBLIC_FIELDS,
    AggregateParamsSerializer,
    AggregateRowSerializer,
    OrganisationPublicSerializer,
    OrganisationSavedSerializer,
    OrganisationSerializer,
    consent_from,
    listed_as,
)
from .services import (
    organisation_archive,
    organisation_create,
    organisation_update,
    organisation_warnings,
)
from .summaries import summed_aggregates
from .territory_aggregates import territory_rows

ARCHIVED = (OrganisationStatus.DORMANT, OrganisationStatus.DISSOLVED)
# Query parameters that shape the answer, not the rows (handled on every request).
PER_REQUEST_PARAMETERS = ("page", "page_size", "format")
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="The same rows as CSV.")


def sees_contacts(scope: Scope, organisation: Organisation) -> bool:
    """Whether the user reads the organisation's personal data (as organisations_visible_to)."""
    return (scope.is_admin or organisation.commune_id in scope.commune_ids
            or organisation.pk in scope.organisation_ids)


@extend_schema_view(
    list=extend_schema(
        summary="List organisations",
        description="Organisations the caller may list (analysts and admins: the country; "
                    "departmental and regional reviewers: the communes of their department "
                    "or region, read-only; CTD agents: their communes; representatives: "
                    "their organisation), filtered and paginated. Contacts only for admins, "
                    "the CTD agents of the organisation's commune and its representatives.",
        parameters=[FORMAT_PARAMETER],
        responses={(200, "application/json"): OrganisationSerializer(many=True),
                   (200, "text/csv"): CSV_RESPONSE,
                   **error_responses(400, 401, 403, 404, 429)},
    ),
    retrieve=extend_schema(
        summary="One organisation",
        parameters=[FORMAT_PARAMETER],
        responses={(200, "application/json"): OrganisationSerializer,
                   (200, "text/csv"): CSV_RESPONSE,
                   **error_responses(400, 401, 403, 404, 429)},
    ),
    create=extend_schema(
        summary="Register an organisation (CTD agents in their communes, admins)",
        responses={(201, "application/json"): OrganisationSavedSerializer,
                   **error_responses(400, 401, 403, 429)},
    ),
    update=extend_schema(
        summary="Replace an organisation's profile",
        responses={(200, "application/json"): OrganisationSavedSerializer,
                   **error_responses(400, 401, 403, 404, 429)},
    ),
    partial_update=extend_schema(
        summary="Change some fields; archive with status dormant or dissolved",
        responses={(200, "application/json"): OrganisationSavedSerializer,
                   **error_responses(400, 401, 403, 404, 429)},
    ),
)
class OrganisationViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, mixins.UpdateModelMixin,
                          viewsets.GenericViewSet):
    """Organisations: scoped read for every role, write for CTD agents and admins. No delete:
    an organisation is archived by setting its status to dormant or dissolved."""

    queryset = Organisation.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    permission_classes = [HasRole]
    renderer_classes = [JSONRenderer, CSVRenderer]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        # Into lists that the serializers read (cooperatives.serializers.LISTED).
        organisations = organisations_listed_for(self.request.user).prefetch_related(
            Prefetch("labels", to_attr=listed_as("labels")))
        if self.action == "list":
            # The page's communes and filières: the reference rows every page shares
            # (cooperatives.reference_rows), attached in `list`.
            return organisations
        filieres = Filiere.objects.select_related("sector__ministry").order_by("code")
        return (organisations.select_related("commune__department__region", "primary_filiere")
                .defer("commune__boundary")  # never the commune's outline
                .prefetch_related(Prefetch("filieres", queryset=filieres,
                                           to_attr=listed_as("filieres"))))

    def csv_columns(self, request):
        personal = scope_of(request.user).sees_personal_data
        return PUBLIC_FIELDS + PERSONAL_FIELDS + (CONSENT_FIELD,) if personal else PUBLIC_FIELDS

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        attach(page, filieres_to=listed_as("filieres"))
        data = self._represent(page)
        release_rows(self.paginator.page)
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self._represent([self.get_object()])[0])

    def create(self, request, *args, **kwargs):
        scope = scope_of(request.user)
        if not (scope.is_admin or scope.is_agent):
            raise exceptions.PermissionDenied(
                _("Only CTD agents and national admins register organisations."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {**dict.fromkeys(COUNT_FIELDS), **serializer.validated_data}
        consent = consent_from(data)
        organisation = organisation_create(user=request.user, filieres=data.pop("filieres", None),
                                           consent=consent, **data)
        return Response(self._saved(organisation), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        organisation = self._writable_object()
        serializer = self.get_serializer(organisation, data=request.data,
                                         partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        _apply_changes(request.user, organisation, dict(serializer.validated_data))
        return Response(self._saved(organisation))

    @extend_schema(summary="Who changed what in the organisation, newest first",
                   description="For those who read the organisation (404 otherwise); "
                               "changes of contacts and description only for those who see "
                               "them, authors' names only for readers of personal data.",
                   **HISTORY_SCHEMA)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None,
            renderer_classes=[JSONRenderer])
    def history(self, request, *args, **kwargs):
        organisation = self.get_object()
        hidden = (() if sees_contacts(scope_of(request.user), organisation) else PERSONAL_FIELDS)
        if not contact_shown(organisation):
            hidden = tuple({*hidden, *CONTACT_FIELDS})
        response = history_response(request.user, organisation.history.all(), exclude=hidden)
        log_history(request, organisation, response.data, hidden)
        return response

    def _writable_object(self) -> Organisation:
        """The organisation to change; 404 when out of the caller's reach, 403 when the caller
        may read it but not change it (it knows the organisation exists anyway)."""
        pk = str(self.kwargs[self.lookup_field])
        if not (pk.isascii() and pk.isdigit()):
            raise Http404
        try:
            return get_organisation_for_user(self.request.user, pk, write=True)
        except Http404:
            if self.get_queryset().filter(pk=pk).exists():
                raise exceptions.PermissionDenied(
                    _("You may read this organisation but not change it.")) from None
            raise

    def _saved(self, organisation: Organisation) -> dict:
        """The organisation as stored, with the warnings of what was saved."""
        reloaded = self.get_queryset().get(pk=organisation.pk)
        return {**self._represent([reloaded])[0], "warnings": organisation_warnings(reloaded)}

    def _represent(self, organisations) -> "list[dict]":
        scope = scope_of(self.request.user)
        organisations = list(organisations)
        in_full = [(o, sees_contacts(scope, o)) for o in organisations]
        log_organisations(self.request, (o for o, full in in_full if full), channel="api")
        return [reading_shape(full).to_representation(o) for o, full in in_full]


@functools.cache
def reading_shape(full: bool) -> OrganisationPublicSerializer:
    """The serializer that writes organisations out (in full, or without personal data), built
    once per process: DRF builds a ModelSerializer's 40 fields from the model for each
    instance (about 1.5 ms and 300 objects a request, left to the garbage collector). Writing
    out reads no context (no field builds a URL or reads the request); the writes validate
    with serializers of their own request."""
    return (OrganisationSerializer if full else OrganisationPublicSerializer)(context={})


@transaction.atomic
def _apply_changes(user, organisation: Organisation, data: dict) -> None:
    """Save the validated fields through the services; a new dormant or dissolved status
    archives the organisation (with its registry event) after the other changes."""
    filieres = data.pop("filieres", None)
    consent = consent_from(data)
    archive_as = data.get("status")
    if archive_as in ARCHIVED and archive_as != organisation.status:
        data.pop("status")
    else:
        archive_as = None
    if data or filieres is not None or consent:
        organisation_update(user=user, organisation=organisation, filieres=filieres,
                            consent=consent, **data)
    if archive_as:
        organisation_archive(user=user, organisation=organisation, status=archive_as)


LEVEL_PARAMETER = OpenApiParameter(
    "level", OpenApiTypes.STR, enum=[*LEVELS, "territory"], default="commune",
    description="Territorial unit of each row (territory: project territories).")
BY_PARAMETER = OpenApiParameter(
    "by", OpenApiTypes.STR, enum=list(GROUPINGS), default="ministry",
    description="Grouping of each row. An organisation with several filières counts once in "
                "each filière, sector and ministry it matches, so groups can add up to more "
                "than the unit's organisations.")
AGGREGATE_RESPONSES = {
    (200, "application/json"): AggregateRowSerializer(many=True),
    (200, "text/csv"): CSV_RESPONSE,
}


# The territory filters, which the summary rows answer (they choose communes), and the
# aggregates' other filters, which they cannot (they choose organisations within a commune).
TERRITORY_FILTER_PATHS = {"commune": "pcode", "department": "department__pcode",
                          "region": "department__region__pcode"}
SUMMARY_UNUSABLE_FILTERS = tuple(name for name in AggregateFilterSet.base_filters
                                 if name not in TERRITORY_FILTER_PATHS)


class AggregatesBase(ReplicaReadsMixin, ApiViewMixin, generics.ListAPIView):
    queryset = Organisation.objects.none()  # the schema's model; requests use get_queryset
    permission_classes = [HasRole]
    renderer_classes = [JSONRenderer, CSVRenderer]
    serializer_class = AggregateRowSerializer
    params_class = AggregateParamsSerializer

    def csv_columns(self, request):
        return COLUMNS

    def list(self, request, *args, **kwargs):
        """The rows from the cache while the figures they count are unchanged (see
        cooperatives.freshness), computed on a miss (validating the parameters first);
        paginated on every request."""
        params = sorted((name, values) for name, values in request.query_params.lists()
                        if name not in PER_REQUEST_PARAMETERS)
        # `?verified=` counts from a cutoff that moves with the day: the day is in the key.
        day = verification_cutoff() if request.query_params.get("verified") else None
        key = "api:aggregates:" + hashlib.blake2b(repr((
            type(self).__name__, self.kwargs.get("pcode"), self.scope_key(), get_language(),
            params, day)).encode(), digest_size=16).hexdigest()
        commune_id, rows = freshness.cached(key, self.stamps(), self.compute)
        self.check_commune(commune_id)
        return self.get_paginated_response(self.paginate_queryset(rows))

    def compute(self) -> "tuple[int | None, list[dict]]":
        params = self.params_class(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        organisations = self.filter_queryset(self.get_queryset())
        return self.commune_id, organisation_aggregates(
            organisations, **{"level": "commune", **params.validated_data})

    commune_id = None  # the commune of a one-commune view, once looked up

    def check_commune(self, commune_id: int | None) -> None:
        """On a cache hit too: the caller must still be allowed to read this commune."""


@extend_schema(
    summary="Aggregates per region, department, commune or project territory",
    description="Organisations, members, women, youth (under 35) and employees per unit and "
                "group, over the organisations the caller may aggregate (analysts and "
                "admins: the country; CTD agents: their communes; representatives: their "
                "organisation's commune), after the filters. Units and groups with no "
                "organisation give no row. Rows are sorted by P-code then group. With "
                "`level=territory`, a row per active project territory (its code in "
                "`pcode`) summing its member communes of today that the caller may "
                "aggregate.",
    parameters=[LEVEL_PARAMETER, BY_PARAMETER, FORMAT_PARAMETER],
    responses={**AGGREGATE_RESPONSES, **error_responses(400, 401, 403, 404, 429)},
)
class AggregatesView(AggregatesBase):
    filterset_class = AggregateFilterSet

    def get_queryset(self):
        return organisations_aggregated_for(self.request.user)

    def stamps(self) -> list[str]:
        return [freshness.NATIONAL]

    def compute(self) -> "tuple[None, list[dict]]":
        """Without filters other than the territory, the sum of the communes' summary rows
        (cooperatives.summaries: the same figures, without a national scan); with others,
        the grouped query over the filtered organisations."""
        params = self.params_class(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        level, by = params.validated_data["level"], params.validated_data["by"]
        rows = self._rows("commune" if level == "territory" else level, by)
        return None, territory_rows(rows, by) if level == "territory" else rows

    def _rows(self, level: str, by: str) -> "list[dict]":
        organisations = self.filter_queryset(self.get_queryset())  # validates the filters
        query = self.request.query_params
        if any(query.get(name) for name in SUMMARY_UNUSABLE_FILTERS):
            return organisation_aggregates(organisations, level=level, by=by)
        readable = scope_of(self.request.user).readable_commune_ids  # None: the country
        territory = {path: query[name] for name, path in TERRITORY_FILTER_PATHS.items()
                     if query.get(name)}
        if territory:
            communes = Commune.objects.filter(**territory)
            if readable is not None:
                communes = communes.filter(pk__in=readable)
            readable = set(communes.values_list("pk", flat=True))
        return summed_aggregates(commune_ids=readable, level=level, by=by)

    def scope_key(self):
        """What the caller may aggregate: the country, or these communes."""
        ids = scope_of(self.request.user).readable_commune_ids
        return "country" if ids is None else tuple(sorted(ids))


class CommuneAggregateParamsSerializer(AggregateParamsSerializer):
    level = None


@extend_schema(
    summary="Aggregates of one commune",
    description="The commune's organisations and figures per group (one row per group). "
                "Communes out of the caller's scope answer 404 like unknown P-codes. With "
                "`year`: the current year's figures add `signed_off: false`; a past year "
                "answers the figures kept when the commune's year was closed (`signed_off: "
                "true`, `version`, `day`, `approval_chain`; no filters), 404 when it was not.",
    parameters=[OpenApiParameter("pcode", OpenApiTypes.STR, OpenApiParameter.PATH,
                                 description="Commune P-code, e.g. CM004005001."),
                BY_PARAMETER, OpenApiParameter("year", YEAR_SCHEMA, description=(
                    "The year: the current one (default) or a closed past year.")),
                FORMAT_PARAMETER],
    responses={**AGGREGATE_RESPONSES, **error_responses(400, 401, 403, 404, 429)},
)
class CommuneAggregatesView(AggregatesBase):
    filterset_class = CommuneAggregateFilterSet
    params_class = CommuneAggregateParamsSerializer

    def get_queryset(self):
        commune = get_commune_for_user(self.request.user, self.kwargs["pcode"], need="reports")
        self.commune_id = commune.pk
        return Organisation.objects.filter(commune=commune)

    def stamps(self) -> list[str]:
        return [freshness.commune_stamp_key(self.kwargs["pcode"])]

    def scope_key(self):
        return None  # the same rows for every caller allowed to read the commune

    def check_commune(self, commune_id: int | None) -> None:
        if not can_read_commune_reports(self.request.user, commune_id):
            raise Http404

    def list(self, request, *args, **kwargs):
        """`?year=`: the current year's figures say `signed_off: false`; a past year's are
        its closed version's (see cooperatives.closed_years)."""
        if "year" not in request.query_params:
            return super().list(request, *args, **kwargs)
        commune = get_commune_for_user(request.user, self.kwargs["pcode"], need="reports")
        year = closed_years.requested_year(request)
        if year == timezone.localdate().year:
            response = super().list(request, *args, **kwargs)
            response.data.update(year=year, signed_off=False)
            return response
        params = self.params_class(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows, signature = closed_years.closed_year(commune, year, params.validated_data["by"],
                                                   request.query_params)
        response = self.get_paginated_response(self.paginate_queryset(rows))
        response.data.update(year=year, **signature)
        return response
