"""Where a person's data sits: the records of the register (core/personal_data.py) that hold
it, found by a name, a phone or an e-mail within what the user may handle.

A person rarely has an account: the CTD agent of the commune (their communes' records) or
the national admin (every commune) finds the records for them. Each record is a `Holding`:
the register entry, the record, its commune, and the values it holds."""

from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext as _

from cooperatives.models import BureauMember, Organisation
from cooperatives.permissions import scope_of
from cooperatives.rules import normalise_phone
from diagnostics.models import DiagnosticActor
from diagnostics.permissions import PERSON_ACTOR_KINDS

LIMIT = 50  # records listed for one search


@dataclass
class Holding:
    entry: str      # register code
    model: str      # "app_label.ModelName"
    pk: int
    label: str      # whose data, without repeating it ("Contact person of COOP X")
    commune_id: int | None
    values: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.entry}:{self.pk}"

    def as_target(self) -> dict:
        return {"entry": self.entry, "model": self.model, "id": self.pk}


def handles(user) -> bool:
    """Whether the user receives people's requests: CTD agents and national admins."""
    scope = scope_of(user)
    return scope.is_admin or scope.is_agent


def _in_scope(user, queryset, commune_path: str):
    scope = scope_of(user)
    if scope.is_admin:
        return queryset
    return queryset.filter(**{f"{commune_path}__in": scope.commune_ids})


def _contact(o: Organisation) -> Holding:
    return Holding("organisation_contact", "cooperatives.Organisation", o.pk,
                   _("Contact person of %(name)s") % {"name": o.name}, o.commune_id,
                   {"contact_name": o.contact_name, "contact_phone": o.contact_phone,
                    "contact_email": o.contact_email})


def _bureau(m: BureauMember) -> Holding:
    return Holding("bureau_member", "cooperatives.BureauMember", m.pk,
                   _("%(office)s of the bureau of %(reless)s") % {
                       "office": m.get_office_display(), "reless": m.reless.name},
                   m.reless.commune_id, {"person_name": m.person_name})


def _actor(a: DiagnosticActor) -> Holding:
    return Holding("diagnostic_actor", "diagnostics.DiagnosticActor", a.pk,
                   _("Actor of the diagnostic %(diagnostic)s") % {"diagnostic": a.diagnostic},
                   a.diagnostic.commune_id, {"name": a.name, "role": a.role})


def find(user, query: str) -> list[Holding]:
    """The records within the user's reach holding `query` as a person's name (part of it),
    phone (any spelling of the number) or e-mail."""
    query = query.strip()
    if len(query) < 3 or not handles(user):
        return []
    phone = normalise_phone(query) if any(c.isdigit() for c in query) else None
    contact = (Q(contact_name__icontains=query) | Q(contact_email__iexact=query)
               | Q(contact_phone=query))
    if phone:
        contact |= Q(contact_phone=phone)
    organisations = _in_scope(user, Organisation.objects.filter(contact), "commune_id")
    members = _in_scope(user, BureauMember.objects.filter(person_name__icontains=query)
                        .select_related("reless"), "reless__commune_id")
    actors = _in_scope(user, DiagnosticActor.objects.filter(
        name__icontains=query, kind__in=PERSON_ACTOR_KINDS).select_related(
        "diagnostic__commune"), "diagnostic__commune_id")
    found = ([_contact(o) for o in organisations.order_by("name", "pk")[:LIMIT]]
             + [_bureau(m) for m in members.order_by("pk")[:LIMIT]]
             + [_actor(a) for a in actors.order_by("pk")[:LIMIT]])
    return found[:LIMIT]


_LOADERS = {
    "organisation_contact": (lambda ids: Organisation.objects.filter(pk__in=ids), _contact,
                             "commune_id"),
    "bureau_member": (lambda ids: BureauMember.objects.filter(pk__in=ids)
                      .select_related("reless"), _bureau, "reless__commune_id"),
    "diagnostic_actor": (lambda ids: DiagnosticActor.objects.filter(
        pk__in=ids, kind__in=PERSON_ACTOR_KINDS).select_related("diagnostic__commune"),
        _actor, "diagnostic__commune_id"),
}


def load(user, keys) -> list[Holding]:
    """The holdings named by `keys` ("entry:pk"), those outside the user's reach left out."""
    wanted: dict[str, list[int]] = {}
    for key in keys:
        entry, _sep, pk = str(key).partition(":")
        if entry in _LOADERS and pk.isdigit():
            wanted.setdefault(entry, []).append(int(pk))
    if not handles(user):
        return []
    found = []
    for entry, ids in wanted.items():
        fetch, make, commune_path = _LOADERS[entry]
        found += [make(obj) for obj in _in_scope(user, fetch(ids), commune_path).order_by("pk")]
    return found


def history_model(model_label: str):
    return apps.get_model(model_label).history.model


def apps_object(h: Holding):
    """The model instance behind a holding (None when it is gone)."""
    return apps.get_model(h.model).objects.filter(pk=h.pk).first()
