"""The user's offline data (docs/offline-sync.md): their communes' organisations with the
form values an offline edit starts from, the RELESS, the links and the open diagnostic.
Scoped like the pages: a CTD agent's communes, a representative's organisations; contacts
only where their person consented (cooperatives.consent). A fixed number of queries
whatever the number of organisations."""

import json
from collections import defaultdict

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from communes.models import Commune
from cooperatives.consent import CONTACT_FIELDS
from cooperatives.forms import ChangeProposalForm, OrganisationForm
from cooperatives.models import CooperationLink, Organisation, Reless
from cooperatives.permissions import Scope
from diagnostics.models import DiagnosticEntry, TerritorialDiagnostic
from sectors.models import Filiere

from .encoding import encode
from .versions import organisation_version


def may_work_offline(scope: Scope) -> bool:
    """CTD agents and representatives: the national admin's scope is the whole country,
    too large to carry offline."""
    return scope.is_agent or scope.is_representative


def _organisations(scope: Scope) -> list[Organisation]:
    filieres = Filiere.objects.order_by("code")
    return list(Organisation.objects.filter(
        Q(commune_id__in=scope.commune_ids) | Q(pk__in=scope.organisation_ids))
        .select_related("commune", "primary_filiere")
        .prefetch_related(Prefetch("filieres", queryset=filieres)).order_by("name", "pk"))


def _form(scope: Scope, organisation: Organisation):
    """The form the user edits the organisation with: an agent's edit form, else the
    representative's proposal form (which reads its filières: one query per organisation a
    representative speaks for)."""
    if organisation.commune_id in scope.commune_ids:
        return OrganisationForm(instance=organisation)
    return ChangeProposalForm(organisation=organisation)


def organisation_row(scope: Scope, organisation: Organisation) -> dict:
    form = _form(scope, organisation)
    return {
        "id": organisation.pk, "name": organisation.name, "acronym": organisation.acronym,
        "status": organisation.status, "status_label": organisation.get_status_display(),
        "legal_form_label": organisation.get_legal_form_display(),
        "locality": organisation.locality, "version": organisation_version(organisation),
        "url": reverse("organisation_detail", args=[organisation.pk]),
        "form": encode(form),
        "hidden_fields": [f for f in CONTACT_FIELDS if f not in form.fields],
    }


def _links(organisation_ids: set[int]) -> list[CooperationLink]:
    return list(CooperationLink.objects.filter(
        Q(source_id__in=organisation_ids) | Q(target_id__in=organisation_ids))
        .select_related("source", "target").order_by("pk"))


def _link_row(link: CooperationLink) -> dict:
    return {"id": link.pk, "source": link.source_id, "target": link.target_id,
            "source_name": link.source.name, "target_name": link.target.name,
            "kind_label": link.get_kind_display(), "status_label": link.get_status_display()}


def _open_diagnostics(commune_ids) -> dict[int, TerritorialDiagnostic]:
    """Each agent commune's latest draft diagnostic, with its needs."""
    entries = DiagnosticEntry.objects.select_related("sector").order_by("sector__code",
                                                                        "priority_rank", "pk")
    drafts = (TerritorialDiagnostic.objects.filter(
        commune_id__in=commune_ids, status=TerritorialDiagnostic.Status.DRAFT)
        .prefetch_related(Prefetch("entries", queryset=entries)).order_by("year", "pk"))
    return {d.commune_id: d for d in drafts}  # the latest year wins


def _entry_row(entry: DiagnosticEntry) -> dict:
    return {"id": entry.pk, "sector": entry.sector.code, "sector_name": entry.sector.name,
            "level": entry.level, "locality": entry.locality, "problem": entry.problem,
            "potentials": entry.potentials, "need": entry.need,
            "priority_rank": entry.priority_rank}


def _reless_row(reless: Reless | None) -> dict | None:
    if reless is None:
        return None
    return {"id": reless.pk, "name": reless.name, "status_label": reless.get_status_display(),
            "founded_on": reless.founded_on.isoformat() if reless.founded_on else None,
            "url": reverse("reless_detail", args=[reless.commune.pcode])}


def snapshot(user, scope: Scope) -> tuple[dict, list[Organisation]]:
    """The snapshot, and the organisations it holds (for the access log)."""
    organisations = _organisations(scope)
    by_commune = defaultdict(list)
    for organisation in organisations:
        by_commune[organisation.commune_id].append(organisation)
    communes = Commune.objects.filter(pk__in=by_commune.keys() | scope.commune_ids) \
        .defer("boundary").order_by("pcode")
    relesses = {r.commune_id: r for r in Reless.objects.filter(
        commune_id__in=[c.pk for c in communes]).select_related("commune")}
    links = _links({o.pk for o in organisations})
    diagnostics = _open_diagnostics(scope.commune_ids)
    rows = []
    for commune in communes:
        mine = by_commune[commune.pk]
        ids = {o.pk for o in mine}
        diagnostic = diagnostics.get(commune.pk)
        rows.append({
            "pcode": commune.pcode, "name": commune.name,
            "organisations": [organisation_row(scope, o) for o in mine],
            "reless": _reless_row(relesses.get(commune.pk)),
            "links": [_link_row(k) for k in links if {k.source_id, k.target_id} & ids],
            "diagnostic": {"id": diagnostic.pk, "year": diagnostic.year,
                           "status": diagnostic.status} if diagnostic else None,
            "diagnostic_entries": [_entry_row(e) for e in diagnostic.entries.all()]
            if diagnostic else [],
        })
    data = {"generated_at": timezone.now().isoformat(), "user": user.pk, "communes": rows}
    data["size_bytes"] = size_of(data)
    return data, organisations


def size_of(data: dict) -> int:
    """Bytes of the snapshot as JSON (UTF-8), `size_bytes` itself included."""
    body = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    digits = len(str(body + 20))
    return body + len(',"size_bytes":') + digits
