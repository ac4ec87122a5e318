"""Possible duplicates in a commune's registry: flagged on every save and import, merged or
dismissed by a CTD agent, never merged automatically.

Two organisations of the same commune (neither dissolved, neither the union or the GIC of
origin of the other) are flagged when

- `name`: their names are the same once normalised (accents, case and punctuation dropped,
  stop words removed, abbreviations expanded, words sorted: "Coop. des producteurs de Manioc"
  and "COOPERATIVE PRODUCTEURS MANIOC" are equal), or the words that tell them apart (legal
  form words removed) have a difflib ratio of at least 0.9 ("Maniok" for "Manioc") and the
  same numbers ("GIC Espoir 2" is not "GIC Espoir 3");
- `rsc`: their RSC numbers are equal once case, spaces and punctuation are dropped;
- `phone`: their contact phones are the same number (digits only, +237 / 00237 dropped).

Organisations of different communes are never paired: the queue belongs to one commune and
its CTD agent decides. A pair is flagged once (one row, ids ordered); a dismissed or merged
pair is never flagged again.

A merge keeps one organisation and dissolves the other (with a dissolution event saying into
which one it was merged): nothing is deleted, so the history of both stays readable. Links,
registry events, change requests, union members, converted organisations, bureau seats, role
assignments, filières and every other row pointing at the dissolved organisation (intervention
beneficiaries included, found through the model relations so this app imports no upper one)
move to the kept one; the kept organisation's empty fields are filled from the other's.
"""

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from difflib import SequenceMatcher

from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.db import connections, models, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from .models import (
    CooperationLink,
    DuplicateFlag,
    LegalForm,
    LinkStatus,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    Role,
    RoleAssignment,
)
from .permissions import can_write_commune, scope_of

NAME_RATIO = 0.9
# Blocks of candidate names bigger than this are not compared by ratio (exact matches of the
# normalised name, RSC number and phone are always found, whatever the size of the commune).
MAX_BLOCK = 300
STOP_WORDS = frozenset({"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le",
                        "les", "pour", "sur", "and", "for", "of", "the"})
ABBREVIATIONS = {
    "coop": "cooperative", "coops": "cooperative", "cooperatives": "cooperative",
    "cooperativa": "cooperative", "coopec": "cooperative", "soc": "societe", "ste": "societe",
    "societes": "societe", "sa": "societe", "gics": "gic", "grpt": "groupement",
    "gpt": "groupement", "asso": "association", "assoc": "association",
    "associations": "association", "ass": "association", "fed": "federation",
    "unions": "union", "prod": "producteurs", "producteur": "producteurs",
    "cie": "compagnie", "ets": "etablissements",
}
PHRASES = (  # (pattern, replacement, a word the pattern needs: the search costs less)
    (re.compile(r"\bgroupe(?:ment)? d? ?initiative commune\b"), "gic", "initiative"),
    (re.compile(r"\bcommon initiative group\b"), "gic", "initiative"),
    (re.compile(r"\bsociete cooperative simplifiee\b"), "scoops", "simplifiee"),
    (re.compile(r"\bsociete cooperative avec conseil d? ?administration\b"), "coopca",
     "conseil"),
    (re.compile(r"\bcoop ca\b"), "coopca", "coop ca"),
)
# Words that say what kind of organisation it is, not which one.
GENERIC = frozenset({"cooperative", "societe", "scoops", "coopca", "gic", "union",
                     "federation", "association", "groupement", "groupe", "simplifiee"})
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_INITIALS = re.compile(r"\b(?:[a-z] )+[a-z]\b")
_NON_DIGIT = re.compile(r"\D")


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


@functools.lru_cache(maxsize=1 << 17)  # an import normalises each name twice: check, flag
def name_parts(name: str) -> tuple[tuple[str, ...], str, str, tuple[str, ...]]:
    """A name's normalised words (sorted, without repeats), its key (the words joined), its
    distinctive key and its words with digits."""
    text = _NON_WORD.sub(" ", strip_accents(name or "").casefold()).strip()
    words = text.split()
    if 1 in map(len, words):  # initials need single letters (the regex costs more)
        text = _INITIALS.sub(lambda m: m.group(0).replace(" ", ""), text)  # G.I.C. -> gic
        words = text.split()
    replaced = False
    for pattern, replacement, needed in PHRASES:
        if needed in text:
            text, replaced = pattern.sub(replacement, text), True
    if replaced:
        words = text.split()
    kept = set(map(ABBREVIATIONS.get, words, words))
    kept -= STOP_WORDS
    tokens = tuple(sorted(kept))
    return tokens, " ".join(tokens), distinctive_key(tokens), _numbers(tokens)


def name_tokens(name: str) -> tuple[str, ...]:
    """The normalised words of a name, sorted and without repeats."""
    return name_parts(name)[0]


def name_key(name: str) -> str:
    """The normalised name: equal keys mean the same words (in any order, any spelling of
    accents, case, punctuation and the common abbreviations)."""
    return name_parts(name)[1]


def distinctive_key(tokens: tuple[str, ...]) -> str:
    """The words that tell one organisation from another (legal form words left out)."""
    kept = [t for t in tokens if t not in GENERIC]
    return " ".join(kept or tokens)


def rsc_key(rsc_number: str | None) -> str:
    return _NON_WORD.sub("", strip_accents(rsc_number or "").casefold())


def phone_key(phone: str | None) -> str:
    """Digits of a phone number without the country code (237); '' when too short to be
    a number."""
    digits = _NON_DIGIT.sub("", phone or "")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("237") and len(digits) >= 11:
        digits = digits[3:]
    return digits if len(digits) >= 8 else ""


def similar_names(a: str, b: str) -> bool:
    """Whether two names are close enough to flag (see the module docstring)."""
    ta, _ka, da, na = name_parts(a)
    tb, _kb, db, nb = name_parts(b)
    if not ta or ta == tb:
        return bool(ta)
    return na == nb and _close(da, db)


def _numbers(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words with digits: "GIC Espoir 2" is not "GIC Espoir 3", however close."""
    return tuple([t for t in tokens if not t.isalpha()])


def _close(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < NAME_RATIO:  # ratio's upper bound
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= NAME_RATIO and matcher.ratio() >= NAME_RATIO


# Finding pairs --------------------------------------------------------------------------------

class _Entry:
    __slots__ = ("pk", "tokens", "key", "distinct", "numbers", "rsc", "phone", "related")

    def __init__(self, pk, name, rsc_number, phone, parent_id, gic_id):
        self.pk = pk
        self.tokens, self.key, self.distinct, self.numbers = name_parts(name)
        self.rsc = rsc_key(rsc_number) if rsc_number else ""
        self.phone = phone_key(phone) if phone else ""
        self.related = (parent_id, gic_id)


def find_pairs(rows: Iterable[tuple], focus: set[int] | None = None) -> dict[tuple, set]:
    """Possible duplicate pairs among organisations of one commune.

    `rows`: (id, name, rsc_number, contact_phone, parent_union_id, converted_from_gic_id).
    `focus`: only pairs with at least one of these ids (None: every pair).
    Returns {(smaller id, larger id): {reason, ...}}."""
    entries = [_Entry(*row) for row in rows]
    pairs: dict[tuple, set] = defaultdict(set)
    groups = {"name": defaultdict(list), "rsc": defaultdict(list), "phone": defaultdict(list)}
    for entry in entries:
        if entry.key:
            groups["name"][entry.key].append(entry)
        if entry.rsc:
            groups["rsc"][entry.rsc].append(entry)
        if entry.phone:
            groups["phone"][entry.phone].append(entry)
    for reason, by_value in groups.items():
        for group in by_value.values():
            if len(group) > 1:
                _pair_all(group, focus, reason, pairs)
    _pair_close_names(entries, focus, pairs)
    return dict(pairs)


def _pair_all(group, focus, reason, pairs) -> None:
    if len(group) < 2:
        return
    for i, a in enumerate(group):
        for b in group[i + 1:]:
            _add(a, b, focus, reason, pairs)


def _add(a: _Entry, b: _Entry, focus, reason: str, pairs) -> None:
    if a.pk == b.pk or (focus is not None and a.pk not in focus and b.pk not in focus):
        return
    if a.pk in b.related or b.pk in a.related:  # a union and its member, a GIC and its heir
        return
    pairs[(min(a.pk, b.pk), max(a.pk, b.pk))].add(reason)


def _pair_close_names(entries: list[_Entry], focus, pairs) -> None:
    """Names whose distinctive words have a ratio >= 0.9 (and the same numbers), compared
    within small blocks: names with numbers by their numbers, others by the first and last
    three letters of their two rarest distinctive words (so a typo in one word still meets
    its match through the other)."""
    blocks = defaultdict(list)
    words = []
    for entry in entries:
        if entry.numbers:
            blocks["#" + " ".join(entry.numbers)].append(entry)
        else:
            words.append(entry)
    frequency = Counter(word for entry in words for word in set(entry.distinct.split()))
    for entry in words:
        for key in _blocking_keys(entry, frequency):
            blocks[key].append(entry)
    seen = set()
    for block in blocks.values():
        if len(block) < 2 or len(block) > MAX_BLOCK:
            continue
        if focus is not None and not any(entry.pk in focus for entry in block):
            continue
        for i, a in enumerate(block):
            for b in block[i + 1:]:
                pair = (a.pk, b.pk) if a.pk < b.pk else (b.pk, a.pk)
                if pair in seen:
                    continue
                seen.add(pair)
                if a.key != b.key and _close(a.distinct, b.distinct):
                    _add(a, b, focus, "name", pairs)


def _blocking_keys(entry: _Entry, frequency: Counter) -> set[str]:
    words = sorted(set(entry.distinct.split()), key=lambda w: (frequency[w], w))[:2]
    return {key for word in words for key in ("<" + word[:3], ">" + word[-3:])}


# Flagging ---------------------------------------------------------------------------------------

def fetch_rows(queryset: models.QuerySet) -> list[tuple]:
    """The rows of a `values_list()` of whole numbers and texts, in one fetch: Django reads
    100 rows at a time and runs converters, which cost more than the query on a commune's
    or the registry's tens of thousands of rows. (Dates, decimals and booleans need those
    converters on SQLite: not for them.)"""
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _commune_rows(commune_id: int) -> list[tuple]:
    return fetch_rows(Organisation.objects.filter(commune_id=commune_id)
                      .exclude(status=OrganisationStatus.DISSOLVED)
                      .values_list("id", "name", "rsc_number", "contact_phone",
                                   "parent_union_id", "converted_from_gic_id"))


def flag_duplicates(commune_id: int, organisation_ids: Iterable[int] | None = None) -> int:
    """Flag the possible duplicates of the given organisations (None: of every organisation)
    in their commune. Pairs already flagged keep their row: an open flag gains new reasons,
    a dismissed or merged one is left alone. Returns the number of new flags."""
    focus = None if organisation_ids is None else set(organisation_ids)
    if focus is not None and not focus:
        return 0
    pairs = find_pairs(_commune_rows(commune_id), focus)
    if not pairs:
        return 0
    involved = {pk for pair in pairs for pk in pair}
    existing = {(f.org_a_id, f.org_b_id): f for f in DuplicateFlag.objects.filter(
        org_a_id__in=involved, org_b_id__in=involved)}
    new = [DuplicateFlag(org_a_id=a, org_b_id=b, reasons=sorted(reasons))
           for (a, b), reasons in pairs.items() if (a, b) not in existing]
    DuplicateFlag.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    for pair, flag in existing.items():
        reasons = sorted(set(flag.reasons) | pairs.get(pair, set()))
        if flag.status == DuplicateFlag.Status.OPEN and pair in pairs and reasons != flag.reasons:
            flag.reasons = reasons
            flag.save(update_fields=["reasons"])
    return len(new)


def duplicates_flag_for(organisation: Organisation) -> int:
    """After one organisation is saved: flag its possible duplicates (the services' hook)."""
    if organisation.status == OrganisationStatus.DISSOLVED:
        return 0
    return flag_duplicates(organisation.commune_id, [organisation.pk])


# The queue --------------------------------------------------------------------------------------

def duplicate_flags_of_commune(commune, *, status: str = DuplicateFlag.Status.OPEN):
    """The commune's flags of a status, oldest first, with both organisations loaded."""
    return (DuplicateFlag.objects.filter(org_a__commune=commune, status=status)
            .select_related("org_a__primary_filiere", "org_b__primary_filiere", "reviewer")
            .order_by("created_at", "id"))


def _check_decision(user, flag: DuplicateFlag) -> None:
    for organisation in (flag.org_a, flag.org_b):
        if not can_write_commune(user, organisation.commune_id):
            raise PermissionDenied
    if flag.status != DuplicateFlag.Status.OPEN:
        raise ValidationError(_("This possible duplicate has already been decided."))


def _close_flag(flag: DuplicateFlag, user, status: str) -> DuplicateFlag:
    flag.status = status
    flag.reviewer = user
    flag.decided_at = timezone.now()
    flag.save(update_fields=["status", "reviewer", "decided_at"])
    return flag


@transaction.atomic
def duplicate_dismiss(*, user, flag: DuplicateFlag) -> DuplicateFlag:
    """The CTD agent says the two are different organisations: the pair is never flagged
    again."""
    _check_decision(user, flag)
    return _close_flag(flag, user, DuplicateFlag.Status.DISMISSED)


@transaction.atomic
def duplicate_merge(*, user, flag: DuplicateFlag, keep: Organisation) -> Organisation:
    """The CTD agent merges the pair into `keep` (one of the two); the other is dissolved.
    See the module docstring for what moves. Raises PermissionDenied or ValidationError."""
    from .imports import organisations_bulk_changed
    from .services import organisation_archive, organisation_update

    _check_decision(user, flag)
    if keep.pk not in (flag.org_a_id, flag.org_b_id):
        raise ValidationError(_("Choose one of the two organisations to keep."))
    keep = Organisation.objects.select_for_update().get(pk=keep.pk)
    drop = Organisation.objects.select_for_update().get(
        pk=flag.org_b_id if keep.pk == flag.org_a_id else flag.org_a_id)
    _check_mergeable(keep, drop)
    fill = _blank_fields_filled(keep, drop)
    if fill.get("rsc_number"):  # the number moves: it is unique in the registry
        organisation_update(user=user, organisation=drop, rsc_number=None)
    _move_filieres(drop, keep)
    partners = _move_links(drop, keep, user)
    _move_rows(drop, keep, user)
    _move_flags(drop, keep)
    # Saved even with nothing to fill: its updated_at says the record was reviewed now.
    organisation_update(user=user, organisation=keep, **fill)
    note = _("Merged into %(name)s (#%(id)s): possible duplicate decided by %(user)s.") % {
        "name": keep.name, "id": keep.pk, "user": user.display_name}
    organisation_archive(user=user, organisation=drop, status=OrganisationStatus.DISSOLVED,
                         note=note)
    _close_flag(flag, user, DuplicateFlag.Status.MERGED)
    # Moved links changed the partners' communes too (no save signal for bulk updates).
    organisations_bulk_changed.send(sender=Organisation, commune_ids=sorted(
        set(Organisation.objects.filter(pk__in=partners).values_list("commune_id", flat=True))
        - {keep.commune_id}))
    return keep


def _check_mergeable(keep: Organisation, drop: Organisation) -> None:
    if {keep.parent_union_id, keep.converted_from_gic_id} & {drop.pk} or {
            drop.parent_union_id, drop.converted_from_gic_id} & {keep.pk}:
        raise ValidationError(_("One of these organisations is the union or the GIC of origin "
                                "of the other: they are not duplicates."))
    unions = (LegalForm.UNION, LegalForm.FEDERATION)
    if drop.union_members.exists() and keep.legal_form not in unions:
        raise ValidationError(_("The organisation merged away has member cooperatives: keep "
                                "a union or a federation."))
    if drop.converted_into.exists() and keep.legal_form != LegalForm.GIC:
        raise ValidationError(_("Organisations were converted from the one merged away: keep "
                                "a GIC."))


MERGE_FILLED = ("acronym", "rsc_number", "rsc_date", "ues_number", "locality",
                "reless_member_since", "parent_union", "converted_from_gic", "contact_name",
                "contact_phone", "contact_email", "description", "latitude", "longitude")


def _blank_fields_filled(keep: Organisation, drop: Organisation) -> dict:
    """The kept organisation's empty fields that the other one has filled."""
    fill = {}
    for name in MERGE_FILLED:
        attname = Organisation._meta.get_field(name).attname
        if getattr(keep, attname) in (None, "") and getattr(drop, attname) not in (None, ""):
            fill[attname] = getattr(drop, attname)
    if ("latitude" in fill) != ("longitude" in fill):  # a map point moves whole or not
        fill.pop("latitude", None)
        fill.pop("longitude", None)
    return fill


def _move_filieres(drop: Organisation, keep: Organisation) -> None:
    have = set(keep.filieres.values_list("pk", flat=True))
    wanted = set(drop.filieres.values_list("pk", flat=True)) - have
    OrganisationFiliere.objects.bulk_create(
        [OrganisationFiliere(organisation=keep, filiere_id=f) for f in sorted(wanted)],
        ignore_conflicts=True)


LINK_RANK = {LinkStatus.CONFIRMED: 2, LinkStatus.PROPOSED: 1, LinkStatus.ENDED: 0}


def _move_links(drop: Organisation, keep: Organisation, user) -> set[int]:
    """Links of the dissolved organisation move to the kept one. A link between the two ends;
    a link the kept one already has (same partner, same kind) stays, confirmed if the moved
    one was, and the moved one ends. Returns the partners' ids."""
    links = list(CooperationLink.objects.filter(Q(source=drop) | Q(target=drop)))
    partners = {(_other_end(link, keep.pk), link.kind): link
                for link in CooperationLink.objects.filter(Q(source=keep) | Q(target=keep))}
    moved, ended, upgraded = [], [], []
    today = timezone.localdate()
    for link in links:
        other = _other_end(link, drop.pk)
        existing = partners.get((other, link.kind))
        if other == keep.pk or existing is not None:
            if existing is not None and LINK_RANK[link.status] > LINK_RANK[existing.status]:
                existing.status = link.status
                existing.source_confirmed = existing.target_confirmed = True
                existing.start_date = existing.start_date or link.start_date or today
                upgraded.append(existing)
            if link.status != LinkStatus.ENDED:
                link.status, link.end_date = LinkStatus.ENDED, max(today, link.start_date or today)
                ended.append(link)
            continue
        if link.source_id == drop.pk:
            link.source_id = keep.pk
        else:
            link.target_id = keep.pk
        moved.append(link)
    fields = ["source", "target", "status", "end_date", "source_confirmed",
              "target_confirmed", "start_date"]
    for batch in (moved, ended, upgraded):
        if batch:
            bulk_update_with_history(batch, CooperationLink, fields, default_user=user)
    return {_other_end(link, keep.pk) for link in moved}


def _other_end(link: CooperationLink, organisation_id: int) -> int:
    return link.target_id if link.source_id == organisation_id else link.source_id


def _move_rows(drop: Organisation, keep: Organisation, user) -> None:
    """Every other row pointing at the dissolved organisation points at the kept one:
    this app's models with their history, other apps' (found through the relations, so no
    upper app is imported) with plain updates."""
    RoleAssignment.objects.filter(
        organisation=drop, role=Role.REPRESENTATIVE,
        user__in=RoleAssignment.objects.filter(organisation=keep).values("user")).delete()
    handled = {OrganisationFiliere, CooperationLink, DuplicateFlag}
    for relation in Organisation._meta.related_objects:
        model = relation.related_model
        if model in handled:
            continue
        if relation.many_to_many:
            _move_m2m(relation, drop, keep)
            continue
        field = relation.field
        rows = list(model._default_manager.filter(**{field.name: drop}))
        if not rows:
            continue
        for row in rows:
            setattr(row, field.attname, keep.pk)
        if hasattr(model, "history"):
            bulk_update_with_history(rows, model, [field.name], default_user=user)
        else:
            model._default_manager.bulk_update(rows, [field.name])


def _move_m2m(relation: models.ManyToManyRel, drop: Organisation, keep: Organisation) -> None:
    """Rows of a many-to-many table (e.g. intervention beneficiaries) move to the kept
    organisation, without doubling a row it already has."""
    field = relation.field
    through = field.remote_field.through
    ours, theirs = field.m2m_reverse_field_name(), field.m2m_field_name()
    manager = through._default_manager
    already = manager.filter(**{ours: keep}).values(theirs)
    manager.filter(**{ours: drop}).exclude(**{f"{theirs}__in": already}).update(**{ours: keep})
    manager.filter(**{ours: drop}).delete()


def _move_flags(drop: Organisation, keep: Organisation) -> None:
    """Open flags of the dissolved organisation with third ones become the kept one's."""
    flags = DuplicateFlag.objects.filter(Q(org_a=drop) | Q(org_b=drop),
                                         status=DuplicateFlag.Status.OPEN)
    new = []
    for flag in flags:
        other = flag.org_b_id if flag.org_a_id == drop.pk else flag.org_a_id
        if other != keep.pk:
            a, b = sorted((keep.pk, other))
            new.append(DuplicateFlag(org_a_id=a, org_b_id=b, reasons=flag.reasons))
    flags.exclude(Q(org_a=keep) | Q(org_b=keep)).delete()
    DuplicateFlag.objects.bulk_create(new, ignore_conflicts=True)


def open_duplicate_counts() -> dict[int, int]:
    """Open flags per commune id, in one grouped query."""
    rows = (DuplicateFlag.objects.filter(status=DuplicateFlag.Status.OPEN)
            .values("org_a__commune_id").annotate(n=models.Count("id")).order_by())
    return {row["org_a__commune_id"]: row["n"] for row in rows}



def get_duplicate_flag_for_user(user, pk) -> DuplicateFlag:
    """A flag the user may decide (admins, the CTD agents of its commune), else 404."""
    flags = DuplicateFlag.objects.select_related("org_a__commune", "org_b__commune")
    if not scope_of(user).is_admin:
        flags = flags.filter(org_a__commune_id__in=scope_of(user).commune_ids)
    try:
        return flags.get(pk=pk)
    except (DuplicateFlag.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
