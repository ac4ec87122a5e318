"""The yearly sign-off through the API: read a commune's year (state, checklist, chain) and
take a step (`{"action": "submit|approve|return|close|reopen", "reason": "..."}`). The same
services as the pages; a step out of turn answers 409 with the reason, a role with no part
in the step 403, a commune out of scope 404."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cooperatives.permissions import HasRole, get_commune_for_user
from core.api import ApiViewMixin
from core.years import parse_year

from . import signoff as services
from .models import SignoffStep, YearSignoff

ERROR = inline_serializer("SignoffError", {"detail": serializers.CharField(),
                                           "errors": serializers.JSONField(required=False)})
SIGNOFF = inline_serializer("YearSignoff", {
    "commune": serializers.CharField(), "year": serializers.IntegerField(),
    "state": serializers.ChoiceField(choices=YearSignoff.State.choices),
    "version": serializers.IntegerField(), "locked": serializers.BooleanField(),
    "checklist": serializers.JSONField(), "chain": serializers.JSONField(),
    "actions": serializers.ListField(child=serializers.CharField()),
})
STEP = inline_serializer("SignoffStepRequest", {
    "action": serializers.ChoiceField(choices=SignoffStep.Action.choices),
    "reason": serializers.CharField(required=False, allow_blank=True)})


def step_data(step: SignoffStep) -> dict:
    return {"action": step.action, "state": step.state, "version": step.version,
            "by": step.by.get_username(), "at": step.at, "reason": step.reason}


def signoff_data(signoff: YearSignoff, user) -> dict:
    return {"commune": signoff.commune.pcode, "year": signoff.year, "state": signoff.state,
            "version": signoff.version, "locked": signoff.is_locked,
            "checklist": [item.as_json() for item in services.checklist(signoff.commune,
                                                                         signoff.year)],
            "chain": [step_data(step) for step in services.chain(signoff)],
            "actions": services.actions_for(user, signoff)}


class SignoffView(ApiViewMixin, APIView):
    """A commune's year on its way to sign-off."""

    permission_classes = [HasRole]

    def _target(self, request, pcode: str, year: int):
        try:
            commune = get_commune_for_user(request.user, pcode, need="signoff")
        except Http404:
            raise exceptions.NotFound(_("Unknown commune: %(pcode)s.") % {"pcode": pcode}) \
                from None
        return commune, parse_year(year)

    @extend_schema(responses={200: SIGNOFF, 400: ERROR, 401: ERROR, 404: ERROR})
    def get(self, request, pcode: str, year: int):
        commune, year = self._target(request, pcode, year)
        return Response(signoff_data(services.signoff_of(commune, year), request.user))

    @extend_schema(request=STEP, responses={200: SIGNOFF, 400: ERROR, 401: ERROR, 403: ERROR,
                                            404: ERROR, 409: ERROR})
    def post(self, request, pcode: str, year: int):
        commune, year = self._target(request, pcode, year)
        data = request.data if isinstance(request.data, dict) else {}
        services.year_step(user=request.user, commune=commune, year=year,
                           action=str(data.get("action", "")),
                           reason=str(data.get("reason", "") or ""))
        return Response(signoff_data(services.signoff_of(commune, year), request.user))
