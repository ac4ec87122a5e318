"""The yearly sign-off of a commune's year up the territorial chain: the checklist, the five
steps (`year_submit`, `year_approve`, `year_return`, `year_close`, `year_reopen`, used by the
pages and the API alike), why a year is locked, and the commune's timeline.

The chain: the CTD agent submits (open or returned -> submitted) -> the departmental reviewer
approves (-> approved by the department) or returns with a reason (-> returned) -> the
regional reviewer approves (-> approved by the region) or returns -> the national admin closes
(-> closed) and alone may reopen a closed year with a reason (-> open, next version). The
admin may take any reviewer's step. Each step is a `SignoffStep` row: the audit history.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communes.models import Commune
from cooperatives.models import ChangeRequest, DuplicateFlag
from cooperatives.permissions import scope_of
from core.conflicts import Conflict
from diagnostics.models import TerritorialDiagnostic

from . import compute, frozen, runs, snapshot, tasks
from .models import FrozenRegistry, FrozenReport, ReportRun, SignoffStep, YearSignoff

State, Action = YearSignoff.State, SignoffStep.Action
STALE_CHANGE_REQUEST = datetime.timedelta(days=30)

# commune id -> {integrity check code: faulty rows}; the checks live in operations, above
# this app, which hands them down at start-up (OperationsConfig.ready).
_commune_faults: Callable[[int], dict[str, int]] | None = None


def provide_commune_faults(find: Callable[[int], dict[str, int]]) -> None:
    global _commune_faults
    _commune_faults = find


# The checklist ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    code: str
    label: str
    blocking: bool  # a blocking item must pass before the year can be submitted
    count: int  # faulty rows (0 when the item passes)

    @property
    def ok(self) -> bool:
        return self.count == 0

    def as_json(self) -> dict:
        return {"code": self.code, "label": self.label, "blocking": self.blocking,
                "ok": self.ok, "count": self.count}


def checklist(commune: Commune, year: int) -> list[Item]:
    """What the platform checks before a submission, in this order. Blocking: the commune's
    registry integrity checks at 0, a validated diagnostic of the year. Warnings (shown,
    not blocking): change requests pending for more than 30 days, open possible duplicates."""
    faults = sum(_commune_faults(commune.pk).values())
    validated = TerritorialDiagnostic.objects.validated().filter(commune=commune,
                                                                 year=year).exists()
    stale = ChangeRequest.objects.filter(
        organisation__commune=commune, status=ChangeRequest.Status.PENDING,
        created_at__lt=timezone.now() - STALE_CHANGE_REQUEST).count()
    duplicates = DuplicateFlag.objects.filter(org_a__commune=commune,
                                              status=DuplicateFlag.Status.OPEN).count()
    return [
        Item("integrity", _("Integrity checks of the commune's registry at 0"), True, faults),
        Item("diagnostic", _("Diagnostic of %(year)s validated") % {"year": year}, True,
             0 if validated else 1),
        Item("change_requests", _("No change request pending for more than 30 days"), False,
             stale),
        Item("duplicates", _("Possible duplicates reviewed"), False, duplicates),
    ]


# Reading a year -------------------------------------------------------------------------------

def signoff_of(commune: Commune, year: int) -> YearSignoff:
    """The commune's sign-off of the year (an unsaved open one if nothing happened yet)."""
    found = YearSignoff.objects.filter(commune=commune, year=year).first()
    return found or YearSignoff(commune=commune, year=year)


def chain(signoff: YearSignoff) -> list[SignoffStep]:
    """Every step of the year, oldest first, with who took it."""
    if signoff.pk is None:
        return []
    return list(signoff.steps.select_related("by").order_by("id"))


def _name(user) -> str:
    return getattr(user, "display_name", None) or user.get_username()


def last_step(signoff: YearSignoff) -> SignoffStep | None:
    return signoff.steps.select_related("by").order_by("-id").first()


def lock_reason(commune_id: int, year: int) -> str | None:
    """Why edits of the commune's year are refused (a sentence in the active language naming
    its state, who put it there and when), or None when the year is open or returned."""
    signoff = (YearSignoff.objects.select_related("commune")
               .filter(commune_id=commune_id, year=year).first())
    if signoff is None or not signoff.is_locked:
        return None
    step = last_step(signoff)
    values = {"year": year, "commune": signoff.commune.name, "state": signoff.get_state_display(),
              "date": dateformat.format(timezone.localtime(step.at), "j N Y"),
              "user": _name(step.by)}
    if signoff.state == State.CLOSED:
        return _("The year %(year)s of commune %(commune)s is %(state)s since %(date)s "
                 "(by %(user)s): ask for it to be reopened.") % values
    return _("The year %(year)s of commune %(commune)s is %(state)s since %(date)s "
             "(by %(user)s): ask a reviewer to return it.") % values


# Who may take which step -------------------------------------------------------------------

def _levels(user, commune: Commune) -> set[str]:
    """The sign-off parts the user plays for this commune."""
    scope = scope_of(user)
    levels = set()
    if scope.is_admin:
        levels |= {"agent", "department", "region", "admin"}
    if commune.pk in scope.commune_ids:
        levels.add("agent")
    if commune.department_id in scope.department_ids:
        levels.add("department")
    if commune.department.region_id in scope.region_ids:
        levels.add("region")
    return levels


# The level whose step it is, per state, for each action.
STEP_OWNER = {
    Action.SUBMIT: {State.OPEN: "agent", State.RETURNED: "agent"},
    Action.APPROVE: {State.SUBMITTED: "department", State.DEPARTMENT_APPROVED: "region"},
    Action.RETURN: {State.SUBMITTED: "department", State.DEPARTMENT_APPROVED: "region"},
    Action.CLOSE: {State.APPROVED: "admin"},
    Action.REOPEN: {State.CLOSED: "admin"},
}
NEXT_STATE = {
    (Action.APPROVE, State.SUBMITTED): State.DEPARTMENT_APPROVED,
    (Action.APPROVE, State.DEPARTMENT_APPROVED): State.APPROVED,
}
LEVEL_NAMES = {"agent": gettext_lazy("the commune's CTD agent"),
               "department": gettext_lazy("the departmental reviewer"),
               "region": gettext_lazy("the regional reviewer"),
               "admin": gettext_lazy("the national admin")}


def actions_for(user, signoff: YearSignoff) -> list[str]:
    """The steps the user may take now on this year (the page shows their buttons)."""
    levels = _levels(user, signoff.commune)
    return [action for action, owners in STEP_OWNER.items()
            if owners.get(signoff.state) in levels]


def _check_step(user, signoff: YearSignoff, action: str) -> None:
    """PermissionDenied for a user who plays no part in this step of the chain; a Conflict
    naming the state when the step is not the year's next one, or is someone else's."""
    levels = _levels(user, signoff.commune)
    owner = STEP_OWNER[action].get(signoff.state)
    if not levels & set(STEP_OWNER[action].values()):
        raise PermissionDenied
    if owner is None:
        raise Conflict(_("This step is not possible: the year %(year)s is %(state)s.")
                       % {"year": signoff.year, "state": signoff.get_state_display()},
                       code="state")
    if owner not in levels:
        raise Conflict(_("The year %(year)s is %(state)s: this step belongs to %(who)s.")
                       % {"year": signoff.year, "state": signoff.get_state_display(),
                          "who": LEVEL_NAMES[owner]}, code="state")


def _locked(commune: Commune, year: int) -> YearSignoff:
    signoff, _created = YearSignoff.objects.get_or_create(commune=commune, year=year)
    signoff = YearSignoff.objects.select_for_update().select_related(
        "commune__department").get(pk=signoff.pk)
    return signoff


def _reason_given(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason.")]}, code="required")
    return reason


def _record(signoff: YearSignoff, *, user, action: str, state: str, reason: str = "",
            checklist_json: list | None = None) -> SignoffStep:
    signoff.state = state
    signoff.save(update_fields=["state", "version"])
    return SignoffStep.objects.create(signoff=signoff, action=action, state=state,
                                      version=signoff.version, by=user, reason=reason,
                                      checklist=checklist_json)


# The five steps ------------------------------------------------------------------------------

@transaction.atomic
def year_submit(*, user, commune: Commune, year: int) -> SignoffStep:
    """The commune's CTD agent hands the year in; refused while a blocking item fails."""
    signoff = _locked(commune, year)
    _check_step(user, signoff, Action.SUBMIT)
    items = checklist(commune, year)
    failing = [item.label for item in items if item.blocking and not item.ok]
    if failing:
        raise ValidationError(_("The year cannot be submitted yet: %(items)s.")
                              % {"items": "; ".join(failing)}, code="checklist")
    return _record(signoff, user=user, action=Action.SUBMIT, state=State.SUBMITTED,
                   checklist_json=[item.as_json() for item in items])


@transaction.atomic
def year_approve(*, user, commune: Commune, year: int, reason: str = "") -> SignoffStep:
    """The departmental reviewer approves a submitted year, then the regional reviewer."""
    signoff = _locked(commune, year)
    _check_step(user, signoff, Action.APPROVE)
    return _record(signoff, user=user, action=Action.APPROVE, reason=(reason or "").strip(),
                   state=NEXT_STATE[(Action.APPROVE, signoff.state)])


@transaction.atomic
def year_return(*, user, commune: Commune, year: int, reason: str) -> SignoffStep:
    """The reviewer whose turn it is sends the year back to the agent, with a reason."""
    reason = _reason_given(reason)
    signoff = _locked(commune, year)
    _check_step(user, signoff, Action.RETURN)
    return _record(signoff, user=user, action=Action.RETURN, state=State.RETURNED,
                   reason=reason)


@transaction.atomic
def year_close(*, user, commune: Commune, year: int, reason: str = "") -> SignoffStep:
    """The national admin closes a year the region approved."""
    signoff = _locked(commune, year)
    _check_step(user, signoff, Action.CLOSE)
    step = _record(signoff, user=user, action=Action.CLOSE, state=State.CLOSED,
                   reason=(reason or "").strip())
    _freeze(signoff)
    return step


def _freeze(signoff: YearSignoff) -> list[FrozenReport]:
    """Keep the closed version: the commune's registry snapshot on the day the year's reports
    describe, and both reports computed on that same registry, then refresh the stored runs
    (which read the frozen copies from now on)."""
    commune, year = signoff.commune, signoff.year
    registry = compute.registry_for_year(year)
    kept = snapshot.capture(commune, day=registry.day, registry=registry)
    FrozenRegistry.objects.create(signoff=signoff, version=signoff.version, **kept)
    frozen = [FrozenReport.objects.create(
        signoff=signoff, version=signoff.version, kind=kind, run_id=None,
        computed_at=timezone.now(),
        result=_as_json(compute.compute_on_registry(kind, [commune.pk], year,
                                                    registry)[commune.pk]))
        for kind in ReportRun.Kind.values]
    _refresh_runs(signoff)
    return frozen


def _as_json(result: dict) -> dict:
    """The result as a run stores it (JSON types only: dates as ISO strings)."""
    return json.loads(json.dumps(result, cls=DjangoJSONEncoder))


def _refresh_runs(signoff: YearSignoff) -> None:
    """Once committed, the year's stored runs are brought in line with its state (frozen
    copies after a closure, the registry again after a reopening)."""
    commune_id, year = signoff.commune_id, signoff.year
    transaction.on_commit(lambda: tasks.queue_commune_reports(commune_id, year))


@transaction.atomic
def year_reopen(*, user, commune: Commune, year: int, reason: str) -> SignoffStep:
    """The national admin reopens a closed year, with a reason: its next version starts."""
    reason = _reason_given(reason)
    signoff = _locked(commune, year)
    _check_step(user, signoff, Action.REOPEN)
    signoff.version += 1
    step = _record(signoff, user=user, action=Action.REOPEN, state=State.OPEN, reason=reason)
    _refresh_runs(signoff)
    return step


STEPS = {Action.SUBMIT: year_submit, Action.APPROVE: year_approve,
         Action.RETURN: year_return, Action.CLOSE: year_close, Action.REOPEN: year_reopen}


def year_step(*, user, commune: Commune, year: int, action: str, reason: str = "") -> SignoffStep:
    """Take the named step (pages and API post the action's name)."""
    step = STEPS.get(action)
    if step is None:
        raise ValidationError({"action": [_("Unknown step.")]}, code="invalid")
    if action == Action.SUBMIT:
        return step(user=user, commune=commune, year=year)
    return step(user=user, commune=commune, year=year, reason=reason)


# Lists --------------------------------------------------------------------------------------

def awaiting(user):
    """The sign-offs waiting for the user's step, oldest year first: the departmental
    reviewer's submitted years, the regional reviewer's years approved by the department,
    the admin's years approved by the region, the agent's returned years."""
    scope = scope_of(user)
    qs = YearSignoff.objects.select_related("commune__department__region")
    if scope.is_admin:
        return qs.filter(state=State.APPROVED).order_by("year", "commune__pcode")
    wanted = (Q(state=State.SUBMITTED, commune__department_id__in=scope.department_ids)
              | Q(state=State.DEPARTMENT_APPROVED,
                  commune__department__region_id__in=scope.region_ids)
              | Q(state=State.RETURNED, commune_id__in=scope.commune_ids))
    return qs.filter(wanted).order_by("year", "commune__pcode")


# The timeline ------------------------------------------------------------------------------

def key_figures(commune: Commune, year: int) -> dict | None:
    """The year's key figures: `organisations` (active) and their `members`, `linked_share`
    (cooperation) and `score` (convergence), fractions as `{"num", "den"}` or null. A closed
    year's come from its frozen copies; another year's from its registry (now, or rebuilt
    as of 31 December) and its stored runs. None when the commune had no organisation and
    no report of the year."""
    kept = frozen.frozen_registry(commune.pk, year)
    if kept is not None:
        counts = snapshot.key_figures(kept.organisations)
        coop = frozen.frozen_result("cooperation", commune.pk, year) or {}
        conv = frozen.frozen_result("convergence", commune.pk, year) or {}
    else:
        rows = compute.registry_for_year(year).organisations([commune.pk])
        mine = rows[(rows[:, 1] == commune.pk) & (rows[:, 3] == 1)]
        counts = {"organisations": len(mine), "members": int(mine[:, 2].sum())}
        cooperation = runs.latest_done("cooperation", commune=commune, year=year)
        convergence = runs.latest_done("convergence", commune=commune, year=year)
        coop = cooperation.result if cooperation else {}
        conv = convergence.result if convergence else {}
        if not (len(mine) or coop or conv):
            return None
    return {"organisations": counts["organisations"], "members": counts["members"],
            "linked_share": coop.get("linked_share"), "score": conv.get("score")}


def timeline(commune: Commune, *, current_year: int) -> list[dict]:
    """The commune's years, newest first (the current and the previous year, and those with
    a sign-off, a diagnostic or a stored run), each `{"year", "signoff", "figures",
    "previous"}`: the figures of a closed year and of the year before it, side by side."""
    signoffs = {s.year: s for s in YearSignoff.objects.filter(commune=commune)}
    years = (set(signoffs) | {current_year, current_year - 1}
             | set(commune.report_runs.filter(status="done").values_list("year", flat=True))
             | set(TerritorialDiagnostic.objects.filter(commune=commune)
                   .values_list("year", flat=True)))
    rows = []
    for year in sorted(years, reverse=True):
        signoff = signoffs.get(year) or YearSignoff(commune=commune, year=year)
        closed = signoff.state == State.CLOSED
        rows.append({"year": year, "signoff": signoff,
                     "figures": key_figures(commune, year) if closed else None,
                     "previous": key_figures(commune, year - 1) if closed else None})
    return rows
