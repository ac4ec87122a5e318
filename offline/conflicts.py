"""Conflicts left by sync, and their resolution: the agent chooses, per field changed on both
sides, the value sent from the field ("mine") or the one on the server now ("theirs"); the
change is then applied through the same form and service as any other."""

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from cooperatives.permissions import scope_of

from .encoding import changed_fields, encode, shown
from .models import SyncChange
from .sync import VERSIONED, Outcome, labels, result_of, run
from .versions import organisation_version

Status = SyncChange.Status


def conflicts_visible_to(user):
    """The user's own changes, those of the communes they work in, every one for the
    national admin."""
    qs = SyncChange.objects.all()
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    return qs.filter(Q(user=user) | Q(commune_id__in=scope.commune_ids))


def get_conflict_for_user(user, pk) -> SyncChange:
    """A conflict (open or resolved) the user may see, else 404."""
    change = (conflicts_visible_to(user).filter(pk=pk, status__in=[Status.CONFLICT,
                                                                   Status.RESOLVED])
              .select_related("user", "commune", "resolved_by").first())
    if change is None:
        raise Http404
    return change


def _current(user, change: SyncChange):
    spec = VERSIONED[change.kind]
    organisation = spec.load(user, change.target_id)
    return organisation, spec.form(organisation, None)


def conflict_rows(user, change: SyncChange) -> tuple[object, list[dict]]:
    """The organisation, and for each conflicting field its label and the three values as a
    person reads them (theirs: the server's value now). Http404 when the organisation is
    out of the user's reach."""
    organisation, form = _current(user, change)
    theirs = encode(form)
    rows = [{"name": name, "label": label,
             "base": shown(form, name, change.base), "theirs": shown(form, name, theirs),
             "mine": shown(form, name, change.values)}
            for name, label in zip(change.conflicts, labels(form, change.conflicts),
                                   strict=True) if name in form.fields]
    return organisation, rows


def conflict_resolve(*, user, change: SyncChange, choices: dict[str, str]) -> Outcome:
    """Apply the change with, for each conflicting field, the chosen side ("mine" unless
    "theirs" is chosen), over the record as it is now. Applied: the change is resolved."""
    organisation, form = _current(user, change)
    theirs = encode(form)
    data = {**{k: v for k, v in change.values.items() if k not in form.fields}, **theirs}
    for name in changed_fields(form, change.base, change.values):
        keep_theirs = name in change.conflicts and choices.get(name) == "theirs"
        data[name] = theirs.get(name) if keep_theirs else change.values.get(name)
    outcome = run(user, {"kind": change.kind, "target": change.target_id, "values": data,
                         "base": data, "version": organisation_version(organisation)})
    if outcome.status == Status.APPLIED:
        change.status = Status.RESOLVED
        change.resolved_at, change.resolved_by = timezone.now(), user
        change.result = result_of(change.pk, outcome)
        change.errors = {}
        change.save(update_fields=["status", "resolved_at", "resolved_by", "result", "errors"])
    return outcome
