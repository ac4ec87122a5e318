"""A person's rights, carried out: the export of what the registry holds about them, the
erasure that pseudonymises every history row, the refusal with its legal reason, and the
replay of erasures after a restore. Each request is recorded (RightsRequest) with what was
done; each erasure is recorded (Erasure, without the value) in the database and appended to
the erasure log file that `restore_db` replays (settings.PERSONAL_DATA_ERASURE_LOG)."""

import datetime
import json
import logging
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog
from cooperatives.models import (
    ChangeRequest,
    ContactConsent,
    ContactConsentState,
    ImportJob,
)
from core.personal_data import entry as register_entry
from offline.models import SyncChange

from .models import Erasure, RightsRequest
from .records import Holding, handles, history_model, load

logger = logging.getLogger(__name__)

# Fields that may not be empty: the pseudonym stays in the live record too.
REQUIRED_FIELDS = {"cooperatives.BureauMember": {"person_name"},
                   "diagnostics.DiagnosticActor": {"name"}}


# Requests ---------------------------------------------------------------------------------------

def request_record(*, user, kind: str, subject: str, holdings: list[Holding],
                   received_on: datetime.date | None = None, note: str = "") -> RightsRequest:
    if not handles(user):
        raise PermissionDenied
    if not holdings:
        raise ValidationError(_("Choose the records the request concerns."))
    communes = {h.commune_id for h in holdings}
    return RightsRequest.objects.create(
        kind=kind, subject=subject, targets=[h.as_target() for h in holdings],
        commune_id=communes.pop() if len(communes) == 1 else None,
        received_on=received_on or timezone.localdate(), note=note, handled_by=user)


def _close(request: RightsRequest, user, status: str, outcome: str, refusal: str = ""):
    request.status, request.outcome, request.refusal_reason = status, outcome, refusal
    request.handled_by, request.closed_at = user, timezone.now()
    request.save()


def request_holdings(user, request: RightsRequest) -> list[Holding]:
    return load(user, [f"{t['entry']}:{t['id']}" for t in request.targets])


# Export ----------------------------------------------------------------------------------------

def export(user, holdings: list[Holding]) -> dict:
    """Everything the registry holds about the person in these records: the values, why and
    how long they are kept, the consents, the history of the values, who viewed them."""
    records = []
    for h in holdings:
        e = register_entry(h.entry)
        records.append({
            "record": h.label, "register_entry": h.entry, "values": h.values,
            "purpose": str(e.purpose), "legal_basis": e.basis, "readers": str(e.readers),
            "retention": str(e.retention), "history": _history(h),
            "consents": _consents(h), "viewed": _views(h)})
    return {"generated_at": timezone.now().isoformat(), "generated_by": user.get_username(),
            "records": records}


def _history(h: Holding) -> list[dict]:
    rows = (history_model(h.model).objects.filter(id=h.pk).order_by("history_date", "history_id")
            .values("history_date", "history_type", *h.values))
    out, previous = [], None
    for row in rows:
        values = {k: row[k] for k in h.values}
        if values != previous:
            out.append({"date": row["history_date"].isoformat(), "values": values})
        previous = values
    return out


def _consents(h: Holding) -> list[dict]:
    if h.entry != "organisation_contact":
        return []
    return [{"given_on": c.given_on.isoformat(), "method": str(c.get_method_display()),
             "withdrawn_on": c.withdrawn_on.isoformat() if c.withdrawn_on else None}
            for c in ContactConsent.objects.filter(organisation_id=h.pk).order_by("given_on")]


def _views(h: Holding) -> list[dict]:
    logs = (AccessLog.objects.filter(model=h.model, object_id=h.pk).select_related("user")
            .order_by("-at")[:500])
    return [{"at": log.at.isoformat(), "by": log.user.get_username() if log.user else None,
             "fields": log.fields} for log in logs]


@transaction.atomic
def request_answer_access(*, user, request: RightsRequest) -> dict:
    data = export(user, request_holdings(user, request))
    _close(request, user, RightsRequest.Status.DONE,
           _("Export of %(count)d records given to the person.") % {
               "count": len(data["records"])})
    return data


# Erasure ---------------------------------------------------------------------------------------

def refusal_reason(h: Holding, model_obj=None) -> str:
    """Why the record's data may not be erased now ("" when it may)."""
    e = register_entry(h.entry)
    if e.erasable:
        return ""
    if h.entry == "bureau_member" and model_obj is not None:
        if model_obj.mandate_end and model_obj.mandate_end < timezone.localdate():
            return ""  # the mandate has ended: the name may go
    return str(e.refusal)


@transaction.atomic
def request_answer_erasure(*, user, request: RightsRequest) -> RightsRequest:
    """Erase what may be erased; refuse the rest with the legal reason. The request is done
    when something was erased, refused when nothing could be."""
    holdings = request_holdings(user, request)
    erased, refused = [], []
    for h in holdings:
        obj = apps.get_model(h.model).objects.get(pk=h.pk)
        reason = refusal_reason(h, obj)
        if reason:
            refused.append(f"{h.label}: {reason}")
            continue
        erase(user=user, holding=h, cause=Erasure.Cause.REQUEST, request=request)
        erased.append(h.label)
    outcome = "; ".join([*(_("Erased: %(record)s.") % {"record": r} for r in erased)])
    if erased:
        _close(request, user, RightsRequest.Status.DONE, outcome, "\n".join(refused))
    else:
        _close(request, user, RightsRequest.Status.REFUSED, "", "\n".join(refused))
    return request


@transaction.atomic
def request_refuse(*, user, request: RightsRequest, reason: str) -> RightsRequest:
    if not reason.strip():
        raise ValidationError({"reason": _("Give the legal reason of the refusal.")})
    _close(request, user, RightsRequest.Status.REFUSED, "", reason.strip())
    return request


@transaction.atomic
def request_close(*, user, request: RightsRequest, outcome: str) -> RightsRequest:
    """A rectification or a withdrawal done through the usual forms: say what was done."""
    if not outcome.strip():
        raise ValidationError({"outcome": _("Say what was done.")})
    _close(request, user, RightsRequest.Status.DONE, outcome.strip())
    return request


def erase(*, user, holding: Holding, cause: str, request: RightsRequest | None = None) -> Erasure:
    """Erase the holding's values from the live record and pseudonymise them in every row of
    its history and in the copies the register names; record the erasure (no value kept)."""
    fields = [f for f, v in holding.values.items() if v]
    erasure = Erasure.objects.create(entry=holding.entry, model=holding.model,
                                     object_id=holding.pk, fields=fields or list(holding.values),
                                     cause=cause, request=request)
    apply(erasure, user=user)
    _append_to_log(erasure)
    return erasure


def apply(erasure: Erasure, *, user=None) -> None:
    """Carry out one erasure (again, after a restore: it needs no erased value)."""
    model = apps.get_model(erasure.model)
    token = erasure.pseudonym
    required = REQUIRED_FIELDS.get(erasure.model, set())
    history = model.history.model.objects.filter(id=erasure.object_id,
                                                 history_date__lte=erasure.done_at)
    for name in erasure.fields:
        history.exclude(**{name: ""}).update(**{name: token})
    live = model.objects.filter(pk=erasure.object_id).first()
    latest = (model.history.model.objects.filter(id=erasure.object_id)
              .order_by("-history_date").values_list("history_date", flat=True).first())
    if latest is not None and latest > erasure.done_at:
        live = None  # changed since the erasure: what it holds now came after it
    if live is not None and any(getattr(live, f) not in ("", token) for f in erasure.fields):
        for name in erasure.fields:
            setattr(live, name, token if name in required else "")
        if erasure.model == "cooperatives.Organisation":
            live.contact_consent = ContactConsentState.MISSING
            ContactConsent.objects.filter(organisation_id=live.pk,
                                          withdrawn_on__isnull=True).update(
                withdrawn_on=timezone.localdate())
        live._history_user = user
        live._change_reason = "erasure"
        live.save()
        # The row just written says when and by whom; it holds no erased value either.
    if erasure.model == "cooperatives.Organisation":
        _scrub_copies(erasure, live)


def _scrub_copies(erasure: Erasure, organisation) -> None:
    token = erasure.pseudonym
    for model in (ChangeRequest, ChangeRequest.history.model):
        for row in model.objects.filter(organisation_id=erasure.object_id).only("pk", "changes"):
            changes = dict(row.changes)
            touched = False
            for name in erasure.fields:
                if name in changes:
                    changes[name] = {side: (token if value else value)
                                     for side, value in changes[name].items()}
                    touched = True
            if touched:
                model.objects.filter(pk=row.pk).update(changes=changes)
    _scrub_offline(erasure)
    if organisation is not None:
        # The commune's uploaded files may hold the contact: they are discarded (an import
        # waiting to be applied is uploaded again); the jobs' counts and messages stay.
        ImportJob.objects.filter(commune_id=organisation.commune_id,
                                 created_at__lte=erasure.done_at).exclude(
            content=b"").update(content=b"")


def _scrub_offline(erasure: Erasure) -> None:
    """Offline changes of the organisation (register entry `offline_entry`): the erased
    fields emptied in what was sent, loaded and left in conflict."""
    Kind = SyncChange.Kind
    rows = SyncChange.objects.filter(
        Q(target_id=erasure.object_id,
          kind__in=[Kind.ORGANISATION_UPDATE, Kind.CHANGE_REQUEST_SUBMIT])
        | Q(kind=Kind.ORGANISATION_CREATE, result__object__id=erasure.object_id))

    def scrub(values: dict) -> dict:
        return {k: "" if k in erasure.fields else v for k, v in values.items()}

    for row in rows.only("pk", "base", "values", "conflicts"):
        conflicts = {k: {side: "" for side in c} if k in erasure.fields else c
                     for k, c in row.conflicts.items()}
        SyncChange.objects.filter(pk=row.pk).update(
            base=scrub(row.base), values=scrub(row.values), conflicts=conflicts)


# The erasure log, outside the database ---------------------------------------------------------

def log_path() -> Path | None:
    path = getattr(settings, "PERSONAL_DATA_ERASURE_LOG", "")
    return Path(path) if path else None


def _append_to_log(erasure: Erasure) -> None:
    path = log_path()
    if path is None:
        return
    line = json.dumps({"id": erasure.pk, "entry": erasure.entry, "model": erasure.model,
                       "object_id": erasure.object_id, "fields": erasure.fields,
                       "cause": erasure.cause, "done_at": erasure.done_at.isoformat()})

    def write():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")
    transaction.on_commit(write)


def replay(entries: list[dict] | None = None) -> int:
    """After a restore: carry out again every erasure of the log (and of `entries`, the
    database's own records read before the restore) that the restored database lacks or
    whose values came back. Returns the number of erasures applied."""
    known = {}
    for item in [*(entries or []), *_read_log()]:
        known[item["id"]] = item
    applied = 0
    for item in sorted(known.values(), key=lambda i: i["id"]):
        erasure = Erasure.objects.filter(pk=item["id"]).first()
        if erasure is None:
            erasure = Erasure.objects.create(
                id=item["id"], entry=item["entry"], model=item["model"],
                object_id=item["object_id"], fields=item["fields"], cause=item["cause"],
                done_at=datetime.datetime.fromisoformat(item["done_at"]))
        with transaction.atomic():
            apply(erasure)
        applied += 1
    _reset_sequence()
    return applied


def _reset_sequence() -> None:
    """Erasures recreated with their own ids: the next id must come after them."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Erasure]):
            cursor.execute(sql)


def erasures_as_entries() -> list[dict]:
    return [{"id": e.pk, "entry": e.entry, "model": e.model, "object_id": e.object_id,
             "fields": e.fields, "cause": e.cause, "done_at": e.done_at.isoformat()}
            for e in Erasure.objects.all()]


def _read_log() -> list[dict]:
    path = log_path()
    if path is None or not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
