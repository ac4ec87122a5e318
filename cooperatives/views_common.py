"""Helpers shared by the registry pages: the audit history section and change rows."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.models import ModelChange

from sectors.models import Filiere

from .consent import CONTACT_FIELDS, contact_shown
from .display import readable
from .models import CooperationLink, LinkStatus, Organisation
from .services import link_sides_for, organisation_warnings

HISTORY_LIMIT = 100
EMPTY = "—"
KIND_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}  # the API's codes


@dataclass
class HistoryEntry:
    date: object
    user: object
    kind: str
    label: str
    changes: list = field(default_factory=list)
    action: str = ""  # "created", "changed" or "deleted"


def history_entries(history_qs, *, limit: int = HISTORY_LIMIT, label=None,
                    exclude: tuple[str, ...] = (), raw: bool = False) -> list[HistoryEntry]:
    """The latest history records of one or more objects, newest first, each with the fields
    it changed (old -> new) against the previous record of the same object; the fields named
    in `exclude` (personal data the reader may not see) are left out. `raw` keeps dates and
    numbers as they are stored (the API) rather than formatted for the page's language.

    Two queries plus one per kind of related object named in the changes, whatever the
    number of records."""
    records = list(history_qs.select_related("history_user")
                   .order_by("-history_date", "-history_id")[:limit + 1])
    previous = {}
    pairs = []
    for record in reversed(records):
        key = getattr(record, record.instance_type._meta.pk.attname)
        pairs.append((record, previous.get(key)))
        previous[key] = record
    pairs = pairs[::-1][:limit]
    m2m_names = [f.name for f in (records[0]._history_m2m_fields if records else [])]
    sets = _m2m_sets(records, m2m_names)
    deltas = []
    for record, before in pairs:
        delta = []
        if before is not None:
            delta = record.diff_against(before, excluded_fields=(*exclude, *m2m_names)).changes
            delta += [ModelChange(name, sorted(sets[before.pk, name]),
                                  sorted(sets[record.pk, name]))
                      for name in m2m_names if name not in exclude
                      and sets[before.pk, name] != sets[record.pk, name]]
        deltas.append((record, delta))
    names = _related_names(records[0].instance_type if records else None, deltas)
    return [_entry(record, delta, names, label, raw_values=raw) for record, delta in deltas]


def _entry(record, delta, names, label, *, raw_values=False) -> HistoryEntry:
    model = record.instance_type
    order = {f.name: i for i, f in enumerate(model._meta.fields)}
    changes = [(_field_label(model, c.field), _display(model, c.field, c.old, names, raw_values),
                _display(model, c.field, c.new, names, raw_values))
               for c in sorted(delta, key=lambda c: order.get(c.field, 0))]
    return HistoryEntry(date=record.history_date, user=record.history_user,
                        kind=KIND_LABELS.get(record.history_type, record.history_type),
                        label=label(record) if label else "", changes=changes,
                        action=ACTIONS.get(record.history_type, record.history_type))


def _m2m_sets(records: list, names: list[str]) -> dict[tuple, frozenset]:
    """{(history id, field name): the related ids that record keeps}: one query per
    many-to-many field kept in the history (an organisation's filières)."""
    sets = defaultdict(frozenset)
    for name in names:
        rows = defaultdict(set)
        m2m = getattr(type(records[0]), name).model
        target = records[0].instance_type._meta.get_field(name).m2m_reverse_name()
        for history_id, related in m2m.objects.filter(
                history_id__in=[r.pk for r in records]).values_list("history_id", target):
            rows[history_id].add(related)
        sets.update({(history_id, name): frozenset(ids) for history_id, ids in rows.items()})
    return sets


def _field_label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def _related_names(model, raw) -> dict:
    """{(related model, pk): text} for every foreign key value in the changes: one query per
    related model."""
    if model is None:
        return {}
    wanted = defaultdict(set)
    for _record, delta in raw:
        for change in delta:
            f = model._meta.get_field(change.field)
            if isinstance(f, models.ForeignKey):
                wanted[f.related_model].update(v for v in (change.old, change.new) if v)
            elif isinstance(f, models.ManyToManyField):
                wanted[f.related_model].update(change.old, change.new)
    names = {}
    for related, pks in wanted.items():
        for pk, obj in related._default_manager.in_bulk(pks).items():
            names[(related, pk)] = _person(obj) if hasattr(obj, "get_full_name") else str(obj)
    return names


def _person(user) -> str:
    return user.display_name


def _display(model, name: str, value, names: dict, raw_values: bool = False):
    if value is None or value == "":
        return EMPTY
    f = model._meta.get_field(name)
    if isinstance(f, models.ForeignKey):
        return names.get((f.related_model, value), f"#{value}")
    if isinstance(f, models.ManyToManyField):
        return ", ".join(sorted(names.get((f.related_model, v), f"#{v}") for v in value)) or EMPTY
    if f.choices:
        return dict(f.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(f, models.JSONField) and isinstance(value, dict):
        return "; ".join(f"{k}: {v.get('old')} → {v.get('new')}" if isinstance(v, dict)
                         else f"{k}: {v}" for k, v in value.items())
    return value if raw_values else readable(value)


# Change requests ----------------------------------------------------------------------------

def with_change_rows(change_requests) -> list:
    """The requests, each with `rows`: [(field label, old text, new text)], filière codes
    shown by name. One query for every request together."""
    change_requests = list(change_requests)
    codes = set()
    for cr in change_requests:
        change = cr.changes.get("filieres") or {}
        codes.update(change.get("old") or [])
        codes.update(change.get("new") or [])
    filieres = {f.code: f.name for f in Filiere.objects.filter(code__in=codes)} if codes else {}
    for cr in change_requests:
        shown = contact_shown(cr.organisation)
        cr.rows = [_change_row(key, change, filieres) if shown or key not in CONTACT_FIELDS
                   else _hidden_row(key) for key, change in cr.changes.items()]
    return change_requests


def _hidden_row(key: str) -> tuple:
    """A contact change of an organisation whose contact is hidden (no consent)."""
    hidden = _("hidden (no consent)")
    return (capfirst(Organisation._meta.get_field(key).verbose_name), hidden, hidden)


def _change_row(key: str, change: dict, filieres: dict) -> tuple:
    if key == "filieres":
        old, new = (", ".join(filieres.get(c, c) for c in change.get(side) or []) or EMPTY
                    for side in ("old", "new"))
        return (_("Filières"), old, new)
    f = Organisation._meta.get_field(key)
    return (capfirst(f.verbose_name), _choice_text(f, change.get("old")),
            _choice_text(f, change.get("new")))


def _choice_text(f, value):
    if value is None or value == "":
        return EMPTY
    if f.choices:
        return dict(f.flatchoices).get(value, value)
    return readable(value)


def mark_link_actions(user, link: CooperationLink) -> None:
    """Which buttons the user gets on a link: confirm a side still unconfirmed, end it."""
    sides = link_sides_for(user=user, link=link)
    unconfirmed = {s for s in ("source", "target") if not getattr(link, f"{s}_confirmed")}
    link.can_confirm = link.status == LinkStatus.PROPOSED and bool(sides & unconfirmed)
    link.can_end = link.status != LinkStatus.ENDED and bool(sides)


def warn_after_save(request, organisation: Organisation) -> None:
    """Show, after a save, what was kept but deserves a second look (services'
    `organisation_warnings`, the same list the API answers)."""
    for warning in organisation_warnings(organisation):
        messages.warning(request, warning)
