"""One authorization matrix for the whole platform, generated from the URL configuration.

Every route of the URLconf (but the Django admin, checked apart, and static files) has an entry
in MATRIX: how to build its URL from a small world of commune A and B objects (the URL always
points at commune A's objects) and, per method, what each role gets. Expectations are written
with a few named rules (PUBLIC, SIGNED_IN, COMMUNE_A_PRIVATE, COMMUNE_A_READ, ORG_A,
COUNTRY_READ, ...) plus per-route overrides, following PRODUCT.md: out of scope answers 404
(never 403, which is kept for objects the caller may read but not change, and for creations
whose body names a commune or ministry, public codes, the caller may not write for); anonymous
visitors of private HTML pages go to the login page, API clients without valid credentials get
401. Roles: anonymous, the cast of tests/conftest.py (HTML through their session, API through
their token; `nobody` is signed in with no role: the API refuses it 403 before anything else)
and an analyst's expired and revoked tokens.

`test_it_lists_every_route` fails, naming them, as soon as a route has no entry (a new route
must be added here with its rule) or an entry names a route that no longer exists.

A denied write (POST, PUT, PATCH or DELETE answering 4xx or a redirect to the login page) must
leave the database exactly as it was: every table is checksummed. An accepted write on a route
marked `writes` must change it. A refused API call answers JSON with a `detail`, and a 401 asks
for a token (`WWW-Authenticate: Token`).

Cells where the platform contradicts PRODUCT.md are written with the status the product asks
for and listed in CONTRADICTIONS: they are strict xfails, so fixing the bug turns them into a
failure that asks to remove them from the list.
"""

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import ApiToken, Notification
from cooperatives import export_jobs
from cooperatives.models import (
    AggregateDirty,
    AggregateSummary,
    BureauMember,
    ChangeRequest,
    CooperationLink,
    DuplicateFlag,
    ExportJob,
    ImportJob,
    LinkStatus,
    Reless,
    Role,
)
from offline.models import SyncChange
from privacy.models import RightsRequest
from reports.models import ReportRun

from .. import factories
from ..api_helpers import PERSONAL_DATA
from ..conftest import FAST_HASHERS, PASSWORD
from ..factories import (
    AGRICULTURE,
    CASSAVA,
    COMMUNE_A,
    COMMUNE_B,
    DEPARTMENT,
    LIVESTOCK,
    MAIZE,
    MINADER,
    MINEPIA,
    REGION,
    CommuneFactory,
    DepartmentFactory,
    DiagnosticFactory,
    EnrolmentFactory,
    EntryFactory,
    FiliereFactory,
    InterventionFactory,
    MinistryFactory,
    OrganisationFactory,
    ProgrammeFactory,
    RegionFactory,
    SectorFactory,
    make_admin,
    make_user,
)

pytestmark = pytest.mark.django_db

A, B = "CM901001001", "CM901001002"
ADMIN = "admin_user"
# Reviewers (MINPMEESA's delegations): of commune A's department, of its region, and of a
# department of another region.
REVIEWERS = ("dept_rev", "region_rev", "far_rev")
USERS = ("agent_a", "agent_b", "rep_a", "rep_b", "analyst", ADMIN, "nobody", *REVIEWERS)
# The expired and the revoked token are an analyst's tokens, one past its expires_at, one
# revoked: 401 on every API route; HTML pages ignore the Authorization header, so there they
# are anonymous visitors.
DEAD_TOKENS = ("expired_token", "revoked_token")
ROLES = ("anonymous", *USERS, *DEAD_TOKENS)
LOGIN = "login"  # HTML: 302 to the login page; API: read as 401

A_WRITERS = {"agent_a", ADMIN}  # may change commune A's registry
ORG_A_SIDE = {"agent_a", "rep_a", ADMIN}  # may see org_a with its contacts
# Read commune A's reports and aggregates (its reviewers: read-only, their territory).
A_READERS = {"agent_a", "rep_a", "analyst", ADMIN, "dept_rev", "region_rev"}
# Organisations through the API (public fields; contacts only for ORG_A_SIDE): commune A's
# reviewers read their territory's read-only, like analysts the country (404 until reviewers
# could read the registry); far_rev, whose department holds neither A nor B, gets 404.
ORG_READERS = {"agent_a", "rep_a", "analyst", ADMIN, "dept_rev", "region_rev"}
A_SIGNOFF = {"agent_a", ADMIN, "dept_rev", "region_rev"}  # see commune A's yearly sign-off
COUNTRY = {"analyst", ADMIN}  # read every commune
AGENTS = {"agent_a", "agent_b", ADMIN}
LINK_SIDES = {"agent_a", "agent_b", "rep_a", "rep_b", ADMIN}  # speak for a side of link_ab
OFFLINE = {"agent_a", "agent_b", "rep_a", "rep_b"}  # may work offline (their own scope)
# Project territories of communes A and B: read by whoever reads a member commune's reports.
TERRITORY_READERS = A_READERS | {"agent_b", "rep_b"}


def rule(ok, who=USERS, *, other=404, anon=LOGIN, **overrides) -> dict:
    """`who` get `ok`, the other signed-in roles `other`, anonymous visitors `anon`."""
    codes = {role: ok if role in who else other for role in USERS}
    return {**codes, "anonymous": anon, **overrides}


# Named rules ---------------------------------------------------------------------------------
PUBLIC = rule(200, anon=200)  # everyone, anonymous included
SIGNED_IN = rule(200)  # any signed-in role; anonymous to the login page (HTML) or 401 (API)
COMMUNE_A_PRIVATE = rule(200, A_WRITERS)  # commune A's CTD agent and the admin; others 404
COMMUNE_A_READ = rule(200, A_READERS)  # commune A's reports: its agent and representatives
ORG_A = rule(200, ORG_A_SIDE)  # org_a's own business
COUNTRY_READ = rule(200, COUNTRY)  # national figures: analysts and the admin
A_WRITE = rule(302, A_WRITERS)  # an HTML form of commune A: a success redirects
METHOD_405 = rule(405, anon=405)  # the method is refused before anything else
# A login (HTML) or credentials (API: 401) first, then the method is refused whoever asks:
# the 405 says nothing of the object, so it is not an out-of-scope answer.
SIGNED_IN_405 = rule(405)

# Diagnostics: analysts and the admin read every diagnostic (drafts included); a commune's
# agent its own; representatives its validated ones. An analyst may read but not change: 403.
DRAFT_READ = rule(200, {"agent_a", "analyst", ADMIN})
DRAFT_WRITE_API = rule(200, A_WRITERS, analyst=403)
DRAFT_CREATE_API = rule(201, A_WRITERS, analyst=403)
# Interventions: commune A's agent and the analyst of the intervention's ministry may change.
INTERVENTION_WRITERS = {"agent_a", "analyst", ADMIN}
# Support programmes (docs/support.md): MINADER's programme covering commune A is changed by
# MINADER's analyst and the admin; an enrolment of org_a by them and commune A's agent.
PROGRAMME_WRITERS = {"analyst", ADMIN}
ENROLMENT_WRITERS = {"agent_a", "analyst", ADMIN}
RECORDERS = {"agent_a", "agent_b", "analyst", ADMIN}  # may record programmes at all


@dataclass
class Route:
    get: dict
    post: dict
    kwargs: Callable = lambda w: {}
    query: Callable | None = None  # w -> query string (without "?")
    payload: Callable | None = None  # w -> POST data (a form, or JSON on the API)
    put: dict | None = None
    patch: dict | None = None
    delete: dict | None = None
    put_payload: Callable | None = None
    patch_payload: Callable | None = None
    path: Callable | None = None  # w -> URL, for a route without a name (keyed by its pattern)
    # An accepted POST/PUT/PATCH writes: True for every role it accepts, or the set of roles
    # whose accepted write writes (others are, say, sent on to another form).
    writes: bool | frozenset = False
    # Roles whose 403 answers the step the body names (a reviewer may approve, not submit):
    # with a body naming no valid step at all, they get the body's 400 instead.
    refused_by_body: frozenset = frozenset()


# Payloads ------------------------------------------------------------------------------------

def _organisation_form(w, **extra) -> dict:
    return {"name": "Coop Nouvelle", "legal_form": "scoops", "status": "active",
            "primary_filiere": w.cassava.pk, "members_total": 7, "members_women": 2,
            "members_youth": 1, "employees": 0, "share_capital": 0, **extra}


def _organisation_api(w) -> dict:
    return {"name": "Coop Nouvelle", "legal_form": "scoops", "commune": A,
            "primary_filiere": "manioc", "members_total": 8, "members_women": 2,
            "members_youth": 1, "status": "dormant"}


def _proposal(w) -> dict:
    return {"contact_name": "Awa", "contact_phone": "+237 600 000 000", "legal_form": "scoops",
            "status": "active", "filieres": ["manioc"], "members_total": 12,
            "members_women": 4, "members_youth": 3}


def _partner_programme_form(w) -> dict:
    return {"name": "Accompagnement REMCESS", "kind": "technical", "owner_type": "partner",
            "partner": "REMCESS", "start_date": "2025-01-01", "budget": 0, "communes": A}


def _partner_programme_api(w) -> dict:
    return {"name": "Accompagnement REMCESS", "kind": "technical", "owner_type": "partner",
            "partner": "REMCESS", "start_date": "2025-01-01", "communes": [A]}


def _ministry_programme_form(w) -> dict:
    return {"name": "Formation MINADER", "kind": "training", "owner_type": "ministry",
            "ministry": w.minader.pk, "start_date": "2025-01-01", "budget": 10,
            "communes": A}


def _ministry_programme_api(w) -> dict:
    return {"name": "Formation MINADER", "kind": "training", "owner_type": "ministry",
            "ministry": "MINADER", "start_date": "2025-01-01", "communes": [A]}


def _intervention_form(w) -> dict:
    return {"ministry": w.minader.pk, "programme": "PIDMA", "filiere": w.cassava.pk,
            "start_date": "2025-01-01", "end_date": "2026-12-31", "budget": 1000,
            "beneficiaries": [w.org_a.pk]}


def _intervention_api(w) -> dict:
    return {"ministry": "MINADER", "commune": A, "programme": "PIDMA", "filiere": "manioc",
            "start_date": "2025-03-01", "budget": 10, "beneficiaries": [w.org_a.pk]}


def _intervention_put(w) -> dict:
    return {"ministry": "MINADER", "programme": "PIDMA 2", "filiere": "manioc",
            "start_date": "2025-01-01", "budget": 5}


def _entry_form(w) -> dict:
    return {"sector": w.livestock.pk, "level": "village", "need": "Vaccins", "priority_rank": 1}


def _grid_upload(w) -> dict:
    from diagnostics.imports import template_csv

    return {"file": SimpleUploadedFile("grille.csv", template_csv(), "text/csv"),
            "action": "check"}


def _organisations_upload(w) -> dict:
    rows = ["nom;forme_juridique;commune;filiere_principale;statut;membres;femmes;jeunes",
            f"Coopérative Importée;SCOOPS;{A};manioc;active;9;3;2"]
    content = ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()
    return {"file": SimpleUploadedFile("orgs.csv", content, "text/csv"), "action": "check"}


def _pcode(w) -> dict:
    return {"pcode": A}


def _org_a(w) -> dict:
    return {"pk": w.org_a.pk}


def _pk(attribute: str) -> Callable:
    return lambda w: {"pk": getattr(w, attribute).pk}


def _draft_row(w) -> dict:
    return {"pk": w.draft.pk, "kind": "entries", "row_pk": w.draft_entry.pk}


def _offline_change(w) -> dict:
    return {"changes": [{"id": "8d1b4a52-5d0c-4c3e-9a55-0c6f1f0e7a11", "kind": "registry_event.add",
                         "target": w.org_a.pk, "commune": A, "version": None, "base": {},
                         "values": {"kind": "modification", "date": "2024-03-01"}}]}


# The matrix ----------------------------------------------------------------------------------
# GET pages with no method restriction render again on POST (nothing is written).

MATRIX: dict[str, Route] = {
    # Accounts (Django's views, our templates)
    "set_language": Route(get=rule(302, anon=302), post=rule(302, anon=302),
                          payload=lambda w: {"language": "en", "next": "/"}),
    "login": Route(get=rule(302, anon=200), post=rule(302, anon=200),
                   payload=lambda w: {"username": "agent_a", "password": "wrong"}),
    "logout": Route(get=METHOD_405, post=rule(302, anon=302)),
    "password_change": Route(get=SIGNED_IN, post=rule(302),
                             payload=lambda w: {"old_password": PASSWORD,
                                                "new_password1": "Another horse 2025!",
                                                "new_password2": "Another horse 2025!"},
                             writes=True),
    "password_change_done": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "password_reset": Route(get=PUBLIC, post=rule(302, anon=302),
                            payload=lambda w: {"email": "agent_a@example.org"}),
    "password_reset_done": Route(get=PUBLIC, post=METHOD_405),
    "password_reset_confirm": Route(
        get=rule(302, anon=302), post=rule(302, anon=302),
        kwargs=lambda w: {"uidb64": w.reset_uid, "token": w.reset_token}),
    "password_reset_complete": Route(get=PUBLIC, post=METHOD_405),
    # The person's own notices: rep_a's notice answers 404 to everyone else.
    "notifications": Route(get=SIGNED_IN, post=rule(302), writes=True,
                           payload=lambda w: {"language": "en"}),
    "notifications_read_all": Route(get=SIGNED_IN_405, post=rule(302),
                                    writes=frozenset({"rep_a"})),
    "notification_read": Route(get=SIGNED_IN_405, post=rule(302, {"rep_a"}), writes=True,
                               kwargs=lambda w: {"pk": w.notice.pk}),
    # API: schema, docs, communes (public reference data)
    "api-schema": Route(get=PUBLIC, post=METHOD_405),
    "api-docs": Route(get=PUBLIC, post=METHOD_405),
    "api-docs-try": Route(get=PUBLIC, post=METHOD_405),
    "api-commune-list": Route(get=PUBLIC, post=METHOD_405),
    "api-commune-detail": Route(get=PUBLIC, post=METHOD_405, kwargs=_pcode, put=METHOD_405,
                                patch=METHOD_405, delete=METHOD_405),
    # API: organisations and aggregates
    "api-aggregates": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "api-commune-aggregates": Route(get=COMMUNE_A_READ, post=SIGNED_IN_405, kwargs=_pcode),
    "api-ilo-statistics": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "api-organisation-list": Route(
        get=SIGNED_IN, payload=_organisation_api,
        # The body names commune A (a public P-code) the caller may not write for: 403, as
        # for diagnostics and interventions (and for the roles that never register any).
        post=rule(201, A_WRITERS, other=403), writes=True),
    "api-organisation-detail": Route(
        get=rule(200, ORG_READERS), post=SIGNED_IN_405, kwargs=_org_a,
        # rep_a, the analyst and commune A's reviewers read org_a but may not change it: 403
        # (the reviewers' cells were 404 while they could not read it); far_rev: 404.
        put=rule(200, A_WRITERS, rep_a=403, analyst=403, dept_rev=403, region_rev=403),
        put_payload=_organisation_api,
        patch=rule(200, A_WRITERS, rep_a=403, analyst=403, dept_rev=403, region_rev=403),
        patch_payload=lambda w: {"name": "Coop Renommée"},
        delete=SIGNED_IN_405, writes=True),
    # API: verification visits, read like the organisation; recorded by commune A's agent
    # and the admin (those who read org_a otherwise: 403).
    "api-organisation-verifications": Route(
        get=rule(200, ORG_READERS), kwargs=_org_a,
        post=rule(201, A_WRITERS, rep_a=403, analyst=403, dept_rev=403, region_rev=403),
        payload=lambda w: {"visited_on": "2026-01-05", "outcome": "dormant"}, writes=True),
    # API: audit histories, read like the object (out of scope: 404); the reviewers read
    # org_a's as the analyst does (no contacts, no authors).
    "api-organisation-history": Route(get=rule(200, ORG_READERS), post=SIGNED_IN_405,
                                      kwargs=_org_a),
    "api-link-history": Route(get=rule(200, LINK_SIDES), post=SIGNED_IN_405,
                              kwargs=_pk("link_ab")),
    "api-change-request-history": Route(get=ORG_A, post=SIGNED_IN_405,
                                        kwargs=_pk("change_request")),
    # API: diagnostics (the draft of commune A)
    # The body names commune A: a refused right over a public P-code is a 403.
    "api-diagnostic-list": Route(get=SIGNED_IN, post=rule(201, A_WRITERS, other=403),
                                 payload=lambda w: {"commune": A, "year": 2030}, writes=True),
    "api-diagnostic-detail": Route(
        get=DRAFT_READ, post=SIGNED_IN_405, kwargs=_pk("draft"),
        put=DRAFT_WRITE_API, put_payload=lambda w: {"year": 2031, "source": "pcd"},
        patch=DRAFT_WRITE_API, patch_payload=lambda w: {"source": "other"},
        delete=SIGNED_IN_405, writes=True),
    "api-diagnostic-copy": Route(get=SIGNED_IN_405, post=DRAFT_CREATE_API, kwargs=_pk("draft"),
                                 payload=lambda w: {"year": 2030}, writes=True),
    "api-diagnostic-entries": Route(
        get=SIGNED_IN_405, post=DRAFT_CREATE_API, kwargs=_pk("draft"),
        payload=lambda w: {"sector": "elevage", "need": "Vaccins", "priority_rank": 1},
                                    writes=True),
    "api-diagnostic-history": Route(get=DRAFT_READ, post=SIGNED_IN_405, kwargs=_pk("draft")),
    "api-diagnostic-validate": Route(get=SIGNED_IN_405, post=DRAFT_WRITE_API,
                                     kwargs=_pk("draft"), writes=True),
    # API: interventions (MINADER's in commune A)
    # The body names commune A and MINADER (public codes): a refused right is a 403.
    "api-intervention-list": Route(get=SIGNED_IN, payload=_intervention_api,
                                   post=rule(201, INTERVENTION_WRITERS, other=403), writes=True),
    "api-intervention-detail": Route(
        get=COMMUNE_A_READ, post=SIGNED_IN_405, kwargs=_pk("intervention"),
        put=rule(200, INTERVENTION_WRITERS, rep_a=403, dept_rev=403, region_rev=403),
        put_payload=_intervention_put,
        patch=rule(200, INTERVENTION_WRITERS, rep_a=403, dept_rev=403, region_rev=403),
        patch_payload=lambda w: {"budget": 1},
        delete=SIGNED_IN_405, writes=True),
    "api-intervention-history": Route(get=COMMUNE_A_READ, post=SIGNED_IN_405,
                                      kwargs=_pk("intervention")),
    # API: support programmes (MINADER's covering commune A) and enrolments (org_a's). A
    # partner's programme covering commune A may be recorded by its agent and the admin;
    # other recorders get 403 (the body names public codes), the other roles 403 before.
    "api-programme-list": Route(get=SIGNED_IN, payload=_partner_programme_api,
                                post=rule(201, {"agent_a", ADMIN}, other=403), writes=True,
                                # commune B's agent and the ministry's analyst create their
                                # own programmes, not this partner's one for commune A
                                refused_by_body=frozenset({"agent_b", "analyst"})),
    "api-programme-detail": Route(
        get=COMMUNE_A_READ, post=SIGNED_IN_405, kwargs=_pk("programme"),
        put=rule(200, PROGRAMME_WRITERS, agent_a=403, rep_a=403, dept_rev=403,
                 region_rev=403),
        put_payload=_ministry_programme_api,
        patch=rule(200, PROGRAMME_WRITERS, agent_a=403, rep_a=403, dept_rev=403,
                   region_rev=403),
        patch_payload=lambda w: {"budget": 1}, delete=SIGNED_IN_405, writes=True),
    # The body names a programme by id: outside the caller's scope it is a 404 (agent_b).
    "api-enrolment-list": Route(
        get=SIGNED_IN, post=rule(201, ENROLMENT_WRITERS, other=403, agent_b=404),
        payload=lambda w: {"programme": w.programme.pk, "organisation": w.org_a2.pk,
                           "start_date": "2025-03-01"}, writes=True),
    "api-enrolment-detail": Route(
        get=COMMUNE_A_READ, post=SIGNED_IN_405, kwargs=_pk("enrolment"),
        put=rule(200, ENROLMENT_WRITERS, rep_a=403, dept_rev=403, region_rev=403),
        put_payload=lambda w: {"start_date": "2025-01-01", "outcome": "completed"},
        patch=rule(200, ENROLMENT_WRITERS, rep_a=403, dept_rev=403, region_rev=403),
        patch_payload=lambda w: {"outcome": "dropped"}, writes=True),
    # API: reports of commune A
    "api-report-convergence": Route(get=COMMUNE_A_READ, post=SIGNED_IN_405,
                                    query=lambda w: f"commune={A}"),
    "api-report-cooperation": Route(get=COMMUNE_A_READ, post=SIGNED_IN_405,
                                    query=lambda w: f"commune={A}"),
    "api-report-run-create": Route(get=SIGNED_IN_405, post=rule(202, A_WRITERS),
                                   kwargs=lambda w: {"kind": "convergence"},
                                   payload=lambda w: {"commune": A, "year": 2025}, writes=True),
    "api-report-run": Route(get=COMMUNE_A_READ, post=SIGNED_IN_405, kwargs=_pk("run_a")),
    # API: the yearly sign-off of commune A's 2025 (the submission fails its checklist: 400)
    "api-signoff": Route(get=rule(200, A_SIGNOFF),
                         post=rule(400, A_WRITERS, dept_rev=403, region_rev=403),
                         kwargs=lambda w: {"pcode": A, "year": 2025},
                         payload=lambda w: {"action": "submit"},
                         refused_by_body=frozenset({"dept_rev", "region_rev"})),
    # API: registry quality
    "api-scorecards": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "api-scorecard": Route(get=COMMUNE_A_READ, post=SIGNED_IN_405, kwargs=_pcode),
    # Report pages: no login wall, out of scope is 404 for anonymous visitors too.
    "reports:map": Route(get=PUBLIC, post=METHOD_405),
    "reports:recompute_national": Route(get=METHOD_405, post=rule(302, {ADMIN}, anon=404),
                                        kwargs=lambda w: {"kind": "convergence"},
                                        payload=lambda w: {"year": "2025"}, writes=True),
    "reports:recompute_commune": Route(get=METHOD_405, post=rule(302, A_WRITERS, anon=404),
                                       kwargs=lambda w: {"kind": "convergence", "pcode": A},
                                       payload=lambda w: {"year": "2025"}, writes=True),
    "reports:convergence_national": Route(get=rule(200, COUNTRY, anon=404), post=METHOD_405),
    "reports:cooperation_national": Route(get=rule(200, COUNTRY, anon=404), post=METHOD_405),
    "reports:convergence_commune": Route(get=rule(200, A_READERS, anon=404), post=METHOD_405,
                                         kwargs=_pcode),
    "reports:cooperation_commune": Route(get=rule(200, A_READERS, anon=404), post=METHOD_405,
                                         kwargs=_pcode),
    # Commune A's one opportunity (org_a2 + twin, both maize): whoever speaks for one of them
    # proposes it; the other readers of A's reports are refused (403), everyone else 404.
    "reports:opportunity_propose": Route(
        get=SIGNED_IN_405, post=rule(302, A_WRITERS, other=404,
                                     **dict.fromkeys(A_READERS - A_WRITERS, 403)),
        kwargs=_pcode, writes=True,
        payload=lambda w: {"year": "2025", "organisations": [w.org_a2.pk, w.twin.pk]}),
    # Yearly sign-off (HTML): commune A's year 2025. Submitting it is refused by the checklist
    # (its 2025 diagnostic is a draft): the page is shown again (200), nothing written; the
    # reviewers play no part in a submission: 403.
    "reports:signoff_queue": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "reports:signoff_commune": Route(get=rule(200, A_SIGNOFF), post=SIGNED_IN_405,
                                     kwargs=_pcode),
    "reports:signoff_year": Route(get=rule(200, A_SIGNOFF), post=SIGNED_IN_405,
                                  kwargs=lambda w: {"pcode": A, "year": 2025}),
    "reports:signoff_step": Route(get=SIGNED_IN_405,
                                  post=rule(200, A_WRITERS, dept_rev=403, region_rev=403),
                                  kwargs=lambda w: {"pcode": A, "year": 2025},
                                  payload=lambda w: {"action": "submit"},
                         refused_by_body=frozenset({"dept_rev", "region_rev"})),
    # Diagnostics (HTML)
    "diagnostic_list": Route(get=COMMUNE_A_READ, post=COMMUNE_A_READ, kwargs=_pcode),
    "diagnostic_create": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pcode,
                               payload=lambda w: {"year": 2030, "source": "pcd"}, writes=True),
    "diagnostic_detail": Route(get=COMMUNE_A_READ, post=COMMUNE_A_READ,
                               kwargs=_pk("validated")),
    "diagnostic_edit": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pk("draft"),
                             payload=lambda w: {"year": 2031, "source": "pcd"}, writes=True),
    "diagnostic_validate": Route(get=SIGNED_IN_405, post=A_WRITE, kwargs=_pk("draft"), writes=True),
    "diagnostic_copy": Route(get=SIGNED_IN_405, post=A_WRITE, kwargs=_pk("validated"),
                             payload=lambda w: {"year": 2030}, writes=True),
    "diagnostic_import": Route(get=COMMUNE_A_PRIVATE, post=COMMUNE_A_PRIVATE,
                               kwargs=_pk("draft"), payload=_grid_upload),
    "diagnostic_row_add": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, payload=_entry_form,
                                kwargs=lambda w: {"pk": w.draft.pk, "kind": "entries"},
                                writes=True),
    "diagnostic_row_edit": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_draft_row,
                                 payload=_entry_form, writes=True),
    "diagnostic_row_delete": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_draft_row,
                                   writes=True),
    # A blank grid: any signed-in user.
    "diagnostic_import_template": Route(get=SIGNED_IN, post=SIGNED_IN,
                                        kwargs=lambda w: {"fmt": "csv"}),
    # Interventions (HTML)
    "intervention_start": Route(get=rule(200, {"agent_a", "agent_b", "analyst", ADMIN}),
                                post=rule(200, {"agent_a", "agent_b", "analyst", ADMIN})),
    "commune_interventions": Route(get=COMMUNE_A_READ, post=COMMUNE_A_READ, kwargs=_pcode),
    "intervention_create": Route(get=rule(200, INTERVENTION_WRITERS), kwargs=_pcode,
                                 post=rule(302, INTERVENTION_WRITERS),
                                 payload=_intervention_form, writes=True),
    "ministry_interventions": Route(get=COUNTRY_READ, post=COUNTRY_READ,
                                    kwargs=lambda w: {"acronym": "MINADER"}),
    "intervention_detail": Route(get=COMMUNE_A_READ, post=COMMUNE_A_READ,
                                 kwargs=_pk("intervention")),
    "intervention_edit": Route(get=rule(200, INTERVENTION_WRITERS), kwargs=_pk("intervention"),
                               post=rule(302, INTERVENTION_WRITERS), payload=_intervention_form,
                               writes=True),
    # Support programmes (HTML): the list shows what each reader may read (nobody: none).
    "programme_list": Route(get=SIGNED_IN, post=SIGNED_IN),
    "programme_create": Route(get=rule(200, RECORDERS), payload=_partner_programme_form,
                              post=rule(302, {"agent_a", ADMIN}, agent_b=403, analyst=403),
                              writes=True),
    "programme_detail": Route(get=COMMUNE_A_READ, post=COMMUNE_A_READ,
                              kwargs=_pk("programme")),
    "programme_edit": Route(get=rule(200, PROGRAMME_WRITERS), kwargs=_pk("programme"),
                            post=rule(302, PROGRAMME_WRITERS), payload=_ministry_programme_form,
                            writes=True),
    "enrolment_create": Route(get=rule(200, ENROLMENT_WRITERS), kwargs=_pk("programme"),
                              post=rule(302, ENROLMENT_WRITERS), writes=True,
                              payload=lambda w: {"organisation": w.org_a2.pk,
                                                 "start_date": "2025-03-01",
                                                 "outcome": "ongoing"}),
    "enrolment_edit": Route(get=rule(200, ENROLMENT_WRITERS), kwargs=_pk("enrolment"),
                            post=rule(302, ENROLMENT_WRITERS), writes=True,
                            payload=lambda w: {"start_date": "2025-01-01",
                                               "outcome": "completed"}),
    # Registry (HTML)
    "home": Route(get=PUBLIC, post=METHOD_405),
    # The installable web app (issue 18): public, like any static file.
    "service_worker": Route(get=PUBLIC, post=METHOD_405),
    "web_manifest": Route(get=PUBLIC, post=METHOD_405),
    # Sends each signed-in role to its own space.
    "my_space": Route(get=rule(302, anon=302), post=rule(302, anon=302)),
    "commune_public": Route(get=PUBLIC, post=METHOD_405, kwargs=_pcode),
    "commune_dashboard": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                               kwargs=_pcode),
    "organisation_list": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                               kwargs=_pcode),
    "organisation_list_all": Route(get=rule(200, AGENTS), post=SIGNED_IN_405),
    "organisation_create": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pcode,
                                 payload=_organisation_form, writes=True),
    "commune_change_requests": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                                     kwargs=_pcode),
    "commune_links": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405, kwargs=_pcode),
    # A representative's own pages (their space, suggested partners, their requests).
    "our_space": Route(get=rule(200, {"rep_a", "rep_b"}), post=SIGNED_IN_405),
    "my_suggestions": Route(get=rule(200, {"rep_a", "rep_b"}), post=SIGNED_IN_405),
    "my_requests": Route(get=rule(200, {"rep_a", "rep_b"}), post=SIGNED_IN_405),
    # The national admin's operations pages.
    "integrity": Route(get=rule(200, {ADMIN}), post=SIGNED_IN_405),
    "report_runs": Route(get=rule(200, {ADMIN}), post=SIGNED_IN_405),
    "reless_detail": Route(get=ORG_A, post=SIGNED_IN_405, kwargs=_pcode),
    "reless_edit": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pcode,
                         payload=lambda w: {"name": "RELESS d'Alpha", "status": "active"},
                         writes=True),
    "reless_membership": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pcode,
                               payload=lambda w: {"organisation": w.org_a.pk,
                                                  "since": "2023-05-01"}, writes=True),
    "bureau_member_create": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pcode,
                                  payload=lambda w: {"person_name": "Chantal Trésor",
                                                     "office": "treasurer",
                                                     "mandate_start": "2024-01-01"}, writes=True),
    "bureau_member_edit": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pk("bureau"),
                                payload=lambda w: {"person_name": "Chantal Bureau",
                                                   "office": "president",
                                                   "mandate_start": "2023-01-01",
                                                   "mandate_end": "2025-12-31"}, writes=True),
    "organisation_detail": Route(get=ORG_A, post=SIGNED_IN_405, kwargs=_org_a),
    "organisation_edit": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_org_a,
                               payload=lambda w: _organisation_form(w, name="Coop Renommée"),
                               writes=True),
    # The contact person's consent: the organisation's agents and admin record paper or
    # in-person consents, its representatives online ones (a paper one re-shows the form).
    "organisation_consent": Route(get=ORG_A, post=rule(302, {"agent_a", ADMIN}, rep_a=200),
                                  kwargs=_org_a, writes=frozenset({"agent_a", ADMIN}),
                                  payload=lambda w: {"method": "paper",
                                                     "document_reference": "Classeur 3"}),
    "organisation_consent_withdraw": Route(get=SIGNED_IN_405, post=rule(302, ORG_A_SIDE),
                                           kwargs=_org_a, writes=True),
    "organisation_archive": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_org_a,
                                  payload=lambda w: {"status": "dormant"}, writes=True),
    "registry_event_create": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_org_a,
                                   payload=lambda w: {"kind": "modification",
                                                      "date": "2024-03-01"}, writes=True),
    # Proof of existence: commune A's agent and the admin record a verification visit.
    "organisation_verify": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_org_a,
                                 payload=lambda w: {"visited_on": "2026-01-05",
                                                    "outcome": "active"}, writes=True),
    "ilo_statistics": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "label_create": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_org_a,
                          payload=lambda w: {"kind": "organic", "certifier": "Ecocert"},
                          writes=True),
    # The representative's form; those who edit directly are sent to the edit form.
    "change_propose": Route(get=rule(200, {"rep_a"}, agent_a=302, admin_user=302),
                            post=rule(302, {"rep_a", "agent_a", ADMIN}), kwargs=_org_a,
                            payload=_proposal, writes=frozenset({"rep_a"})),
    "link_propose": Route(get=ORG_A, post=rule(302, ORG_A_SIDE), kwargs=_org_a,
                          payload=lambda w: {"target": w.twin.pk, "kind": "training"}, writes=True),
    "change_request_detail": Route(get=ORG_A, post=SIGNED_IN_405,
                                   kwargs=_pk("change_request")),
    "change_request_review": Route(get=SIGNED_IN_405, post=A_WRITE,
                                   kwargs=_pk("change_request"),
                                   payload=lambda w: {"decision": "reject",
                                                      "reason": "Pas de justificatif."},
                                   writes=True),
    "link_detail": Route(get=rule(200, LINK_SIDES), post=SIGNED_IN_405,
                         kwargs=_pk("link_ab")),
    "link_confirm": Route(get=SIGNED_IN_405, post=rule(302, LINK_SIDES),
                          kwargs=_pk("link_ab"), writes=True),
    "link_refuse": Route(get=SIGNED_IN_405, post=rule(302, LINK_SIDES),
                         kwargs=_pk("link_ab"), writes=True),
    "link_end": Route(get=SIGNED_IN_405, post=rule(302, LINK_SIDES),
                      kwargs=_pk("link_ab"), writes=True),
    # Registry quality (HTML): imports, exports, duplicates, scorecards, open data
    "quality:import_start": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, kwargs=_pcode,
                                  payload=_organisations_upload, writes=True),
    "quality:import_list": Route(get=rule(200, AGENTS), post=SIGNED_IN_405),
    # A job is its uploader's (agent_a) and the admin's; only the uploader imports it.
    "quality:import_detail": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                                   kwargs=_pk("import_job")),
    "quality:import_errors": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                                   kwargs=_pk("import_job")),
    "quality:import_confirm": Route(get=SIGNED_IN_405, post=rule(302, {"agent_a"}),
                                    kwargs=_pk("import_job"), writes=True),
    "quality:import_template": Route(get=rule(200, AGENTS), post=SIGNED_IN_405,
                                     kwargs=lambda w: {"fmt": "csv"}),
    # What the role may list: an account with no role lists nothing; a reviewer its
    # territory's organisations, without contacts.
    "quality:export_organisations": Route(get=rule(200, nobody=404), post=SIGNED_IN_405,
                                          kwargs=lambda w: {"fmt": "csv"}),
    # A large export's job and its file are its owner's (agent_a) alone: the admin too gets 404.
    "quality:export_job": Route(get=rule(200, {"agent_a"}), post=SIGNED_IN_405,
                                kwargs=_pk("export_job")),
    "quality:export_job_download": Route(get=rule(200, {"agent_a"}), post=SIGNED_IN_405,
                                         kwargs=_pk("export_job")),
    "quality:export_report": Route(get=COMMUNE_A_READ, post=SIGNED_IN_405,
                                   kwargs=lambda w: {"kind": "convergence", "fmt": "csv"},
                                   query=lambda w: f"commune={A}"),
    "quality:duplicates_national": Route(get=rule(200, {ADMIN}), post=SIGNED_IN_405),
    "quality:duplicate_queue": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                                     kwargs=_pcode),
    "quality:duplicate_merge": Route(get=SIGNED_IN_405, post=A_WRITE,
                                     kwargs=_pk("flag"),
                                     payload=lambda w: {"keep": str(w.org_a2.pk)}, writes=True),
    "quality:duplicate_dismiss": Route(get=SIGNED_IN_405, post=A_WRITE,
                                       kwargs=_pk("flag"), writes=True),
    # People's requests about their data: the CTD agents and the national admin; a request
    # is its commune's agents' and the admin's (agent_b finds no record of commune A).
    "privacy:notice": Route(get=PUBLIC, post=METHOD_405),
    "privacy:request_list": Route(get=rule(200, AGENTS), post=SIGNED_IN_405),
    "privacy:request_new": Route(get=rule(200, AGENTS),
                                 post=rule(302, {"agent_a", ADMIN}, agent_b=200),
                                 writes=frozenset({"agent_a", ADMIN}),
                                 payload=lambda w: {
                                     "record": f"organisation_contact:{w.org_a.pk}",
                                     "kind": "access", "subject": "The contact of org A"}),
    "privacy:request_detail": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                                    kwargs=_pk("rights_request")),
    "privacy:request_export": Route(get=COMMUNE_A_PRIVATE, post=SIGNED_IN_405,
                                    kwargs=_pk("rights_request")),
    "privacy:request_act": Route(get=SIGNED_IN_405, post=A_WRITE, kwargs=_pk("rights_request"),
                                 payload=lambda w: {"action": "close", "text": "Corrected"},
                                 writes=True),
    "quality:scorecards": Route(get=COUNTRY_READ, post=SIGNED_IN_405),
    "quality:open_data": Route(get=PUBLIC, post=METHOD_405),
    # The access log of personal data: the national admin (all communes) and CTD agents
    # (their communes' rows).
    "privacy:access_log": Route(get=rule(200, AGENTS), post=SIGNED_IN_405),
    "quality:open_data_csv": Route(get=PUBLIC, post=METHOD_405),
    "quality:open_data_jsonld": Route(get=PUBLIC, post=METHOD_405),
    "quality:open_data_ilo_csv": Route(get=PUBLIC, post=METHOD_405,
                                       kwargs=lambda w: {"level": "region"}),
    "reports:open_data_years": Route(get=PUBLIC, post=METHOD_405),
    # Offline work (issue 18): agents and representatives; the national admin's scope is the
    # country, too large to carry offline, but it sees and resolves every conflict.
    "offline:workspace": Route(get=rule(200, OFFLINE), post=SIGNED_IN_405),
    "offline:form": Route(get=rule(200, {"agent_a", "agent_b"}), post=SIGNED_IN_405,
                          kwargs=lambda w: {"slug": "organisation-create"}),
    "offline:conflicts": Route(get=rule(200, OFFLINE | {ADMIN}), post=SIGNED_IN_405),
    # agent_a's conflict on org_a: the sender, commune A's agents and the admin.
    "offline:conflict": Route(get=COMMUNE_A_PRIVATE, post=A_WRITE, writes=True,
                              kwargs=_pk("sync_conflict"),
                              payload=lambda w: {"choice-name": "mine"}),
    "api-offline-snapshot": Route(get=rule(200, OFFLINE), post=SIGNED_IN_405),
    # Every role with a role gets one result per change (refused out of its scope, which is
    # recorded for idempotency); agent_a and the admin apply it.
    "api-sync": Route(get=SIGNED_IN_405, post=rule(200), payload=_offline_change,
                      writes=frozenset({"agent_a", ADMIN})),
    # The world closes no year: the file of a year no commune closed is not found, for all.
    # Project territories (issue 19): "bassin" (A and B, active), "projet-ab" (proposed by
    # agent_b, commune A's membership waiting).
    "territory_list": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "api-territory-list": Route(get=SIGNED_IN, post=SIGNED_IN_405),
    "api-territory-detail": Route(get=rule(200, TERRITORY_READERS), post=SIGNED_IN_405,
                                  kwargs=lambda w: {"code": "bassin"}, put=SIGNED_IN_405,
                                  patch=SIGNED_IN_405, delete=SIGNED_IN_405),
    "territory_new": Route(get=rule(200, AGENTS), post=rule(302, AGENTS), writes=True,
                           payload=lambda w: {"name": "Bassin du Nyong", "purpose": "basin",
                                              "communes": [w.commune_a.pk, w.commune_b.pk]}),
    "territory_detail": Route(get=rule(200, TERRITORY_READERS), post=SIGNED_IN_405,
                              kwargs=lambda w: {"code": "bassin"}),
    # Only commune A's agent has a membership to confirm; the proposal's other readers: 403.
    "territory_confirm": Route(get=SIGNED_IN_405, kwargs=lambda w: {"code": "projet-ab"},
                               post=rule(302, {"agent_a"}, **dict.fromkeys(
                                   TERRITORY_READERS - {"agent_a"}, 403)), writes=True),
    "reports:territory_report": Route(get=rule(200, TERRITORY_READERS, anon=404),
                                      post=METHOD_405,
                                      kwargs=lambda w: {"code": "bassin", "kind": "cooperation"}),
    "reports:territory_recompute": Route(
        get=METHOD_405, post=rule(302, AGENTS, anon=404, **dict.fromkeys(
            TERRITORY_READERS - AGENTS, 403)),
        kwargs=lambda w: {"code": "bassin", "kind": "convergence"},
        payload=lambda w: {"year": "2025"}, writes=True),
    "reports:open_data_year_csv": Route(get=rule(404, anon=404), post=METHOD_405,
                                        kwargs=lambda w: {"year": 2025}),
}

# Cells where the platform contradicts PRODUCT.md: (route, role, method) -> what it answers
# today, e.g. ("organisation_detail", "agent_b", "GET"): "200". The matrix above holds what the
# product asks for; these cells are strict xfails. None when this matrix was written.
CONTRADICTIONS: dict[tuple[str, str, str], str] = {}


# Enumerating the URLconf ---------------------------------------------------------------------

SKIPPED_PREFIXES = ("admin/", "static/")


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, text, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else
                                     pattern.name)
            yield name, text


def urlconf_routes() -> dict[str, str]:
    """{route name (or its pattern when unnamed): pattern} of every route but the skipped."""
    routes = {}
    for name, text in _walk(get_resolver().url_patterns):
        plain = text.lstrip("^")
        if plain.startswith(SKIPPED_PREFIXES):
            continue
        key = name or text
        if key in routes:  # one name for two patterns: the second one is named by its text
            key = text
        routes[key] = text
    return routes


# Pages under /api/v1/ for people (the API reference): HTML, so a token is ignored there.
HTML_UNDER_API = {"api-docs"}


def is_api(name: str) -> bool:
    return name not in HTML_UNDER_API and (name.startswith("api-") or "api/v1/" in name)


# The world -----------------------------------------------------------------------------------

def build_world() -> SimpleNamespace:
    """The cast of tests/conftest.py (its values from tests/factories.py), and one object of
    each kind in commune A."""
    from reports.convergence import convergence_for_commune, convergence_national
    from reports.cooperation import cooperation_for_commune, cooperation_national

    w = SimpleNamespace()
    department = DepartmentFactory(region=RegionFactory(**REGION), **DEPARTMENT)
    w.commune_a = CommuneFactory(department=department, **COMMUNE_A)
    w.commune_b = CommuneFactory(department=department, **COMMUNE_B)
    w.minader = MinistryFactory(**MINADER)
    w.minepia = MinistryFactory(**MINEPIA)
    w.agriculture = SectorFactory(ministry=w.minader, **AGRICULTURE)
    w.livestock = SectorFactory(ministry=w.minepia, **LIVESTOCK)
    w.cassava = FiliereFactory(sector=w.agriculture, **CASSAVA)
    w.maize = FiliereFactory(sector=w.agriculture, **MAIZE)
    w.org_a = OrganisationFactory(commune=w.commune_a, primary_filiere=w.cassava, **factories.ORG_A)
    w.org_b = OrganisationFactory(commune=w.commune_b, primary_filiere=w.cassava, **factories.ORG_B)
    w.org_a2 = OrganisationFactory(name="Coop Maïs Alpha", commune=w.commune_a,
                                   primary_filiere=w.maize, filieres=[w.cassava])
    w.twin = OrganisationFactory(name="COOP MAIS ALPHA", commune=w.commune_a,
                                 primary_filiere=w.maize)
    w.users = {
        "agent_a": make_user("agent_a", role=Role.CTD_AGENT, commune=w.commune_a),
        "agent_b": make_user("agent_b", role=Role.CTD_AGENT, commune=w.commune_b),
        "rep_a": make_user("rep_a", role=Role.REPRESENTATIVE, organisation=w.org_a),
        "rep_b": make_user("rep_b", role=Role.REPRESENTATIVE, organisation=w.org_b),
        "analyst": make_user("analyst", role=Role.ANALYST, ministry=w.minader),
        ADMIN: make_admin(),
        "nobody": make_user("nobody"),
        "dept_rev": make_user("dept_rev", role=Role.DEPARTMENT_REVIEWER, department=department),
        "region_rev": make_user("region_rev", role=Role.REGION_REVIEWER, region=department.region),
        "far_rev": make_user("far_rev", role=Role.DEPARTMENT_REVIEWER,
                             department=DepartmentFactory(pcode="CM902001", region=RegionFactory(
                                 pcode="CM902", name_fr="Ailleurs"))),
    }
    agent_a = w.users["agent_a"]

    # Links: a proposal from org_a to org_b (B has not confirmed), a confirmed link inside A.
    w.link_ab = CooperationLink.objects.create(source=w.org_a, target=w.org_b,
                                               kind="joint_sale", status=LinkStatus.PROPOSED,
                                               source_confirmed=True)
    w.link_aa = CooperationLink.objects.create(source=w.org_a, target=w.org_a2,
                                               kind="shared_equipment",
                                               status=LinkStatus.CONFIRMED,
                                               source_confirmed=True, target_confirmed=True)
    w.change_request = ChangeRequest.objects.create(
        organisation=w.org_a, requested_by=w.users["rep_a"],
        changes={"members_total": {"old": 10, "new": 12}})
    w.notice = Notification.objects.create(
        recipient=w.users["rep_a"], kind=Notification.Kind.LINK_PROPOSED,
        params={"source": w.org_a.name, "target": w.org_b.name, "link_kind": "Vente groupée"},
        url=f"/links/{w.link_ab.pk}/", organisation_id=w.org_a.pk, object_type="link",
        object_id=w.link_ab.pk)
    w.sync_conflict = SyncChange.objects.create(
        id="5f0c9a2e-1b7d-4e8a-9c3f-2d6b8a1e4c70", user=agent_a, kind="organisation.update",
        target_id=w.org_a.pk, commune=w.commune_a, version="2020-01-01T00:00:00+00:00",
        base={"name": w.org_a.name}, values={"name": "Coop du Terrain"}, status="conflict",
        conflicts={"name": {"base": w.org_a.name, "theirs": "Coop du Bureau",
                            "mine": "Coop du Terrain"}})
    w.reless = Reless.objects.create(commune=w.commune_a, name="RELESS Alpha")
    w.bureau = BureauMember.objects.create(reless=w.reless, person_name="Chantal Bureau",
                                           office="president",
                                           mandate_start=datetime.date(2023, 1, 1))
    w.validated = DiagnosticFactory(commune=w.commune_a, year=2024)
    EntryFactory(diagnostic=w.validated, sector=w.agriculture, priority_rank=1,
                 need="Magasin de stockage")
    w.draft = DiagnosticFactory(commune=w.commune_a, year=2025, status="draft")
    w.draft_entry = EntryFactory(diagnostic=w.draft, sector=w.agriculture, priority_rank=1,
                                 need="Piste agricole")
    w.intervention = InterventionFactory(ministry=w.minader, commune=w.commune_a,
                                         programme="PIDMA", filiere=w.cassava,
                                         sector=w.agriculture, beneficiaries=[w.org_a])
    w.programme = ProgrammeFactory(ministry=w.minader, name="Formation MINADER",
                                   communes=[w.commune_a])
    w.enrolment = EnrolmentFactory(programme=w.programme, organisation=w.org_a)
    on = datetime.date(2025, 6, 30)
    finished = timezone.now()

    def done(kind, result, commune=None):
        return ReportRun.objects.create(
            kind=kind, commune=commune, scope=commune.pcode if commune else "national",
            year=2025, status=ReportRun.Status.DONE, result=result, queued_at=finished,
            started_at=finished, finished_at=finished)

    w.run_a = done("convergence", convergence_for_commune(w.commune_a, year=2025), w.commune_a)
    done("cooperation", cooperation_for_commune(w.commune_a, on=on), w.commune_a)
    w.run_national = done("convergence", convergence_national(year=2025))
    done("cooperation", cooperation_national(on=on))
    _territories(w, agent_b=w.users["agent_b"], finished=finished)
    w.import_job = ImportJob.objects.create(
        uploader=agent_a, commune=w.commune_a, file_name="orgs.csv",
        content=_organisations_upload(w)["file"].read(), dry_run=True,
        status=ImportJob.Status.DONE, rows_total=1, rows_checked=1, created_count=1,
        result={"created": [[2, "Coopérative Importée"]], "updated": [], "errors": []},
        finished_at=finished)
    w.export_job = ExportJob.objects.create(
        user=agent_a, kind="organisations", fmt="csv", status=ExportJob.Status.DONE,
        rows_total=1, rows_done=1, download_name="organisations-20260101", finished_at=finished)
    w.export_job.file_name = f"{w.export_job.pk}-{w.export_job.token}.csv"
    w.export_job.save()
    export_jobs.export_dir().joinpath(w.export_job.file_name).write_text("id\n1\n")
    w.flag = DuplicateFlag.objects.create(org_a=min(w.org_a2, w.twin, key=lambda o: o.pk),
                                          org_b=max(w.org_a2, w.twin, key=lambda o: o.pk),
                                          reasons=["name"])
    w.rights_request = RightsRequest.objects.create(
        commune=w.commune_a, kind="rectification", subject="The contact person of org A",
        targets=[{"entry": "organisation_contact", "model": "cooperatives.Organisation",
                  "id": w.org_a.pk}], handled_by=agent_a)
    # Sessions (HTML) and tokens (API) of each role, made once; every test rolls back.
    w.sessions, w.tokens = {}, {}
    for role, user in w.users.items():
        client = Client()
        client.force_login(user)
        w.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        w.tokens[role] = ApiToken.issue(user=user, name="matrix", days=30)[1]
    expired, w.tokens["expired_token"] = ApiToken.issue(user=w.users["analyst"], name="old")
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1))
    revoked, w.tokens["revoked_token"] = ApiToken.issue(user=w.users["analyst"], name="gone")
    revoked.revoke()
    # After the logins: the reset token covers last_login.
    agent_a.refresh_from_db()
    w.reset_uid = urlsafe_base64_encode(force_bytes(agent_a.pk))
    w.reset_token = default_token_generator.make_token(agent_a)
    w.client = Client()
    return w


def _territories(w, *, agent_b, finished) -> None:
    """An active territory of communes A and B with a cooperation run, and agent_b's
    proposal waiting for commune A."""
    from cooperatives.models import ProjectTerritory, TerritoryMembership
    from reports.cooperation import cooperation_for_group

    start, on = datetime.date(2024, 1, 1), datetime.date(2025, 6, 30)
    w.territory = ProjectTerritory.objects.create(code="bassin", name="Bassin", purpose="basin",
                                                  status=ProjectTerritory.Status.ACTIVE)
    proposal = ProjectTerritory.objects.create(code="projet-ab", name="Projet", purpose="other",
                                               proposed_by=agent_b)
    for commune in (w.commune_a, w.commune_b):
        TerritoryMembership.objects.create(territory=w.territory, commune=commune, start=start)
    TerritoryMembership.objects.create(territory=proposal, commune=w.commune_a, start=start)
    TerritoryMembership.objects.create(territory=proposal, commune=w.commune_b, start=start,
                                       confirmed_by=agent_b, confirmed_at=finished)
    result = cooperation_for_group([w.commune_a.pk, w.commune_b.pk], on=on)
    ReportRun.objects.create(kind="cooperation", territory=w.territory, scope=w.territory.scope,
                             year=2025, status=ReportRun.Status.DONE, result=result,
                             queued_at=finished, started_at=finished, finished_at=finished)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the module, inside a transaction rolled back at the end; each test runs
    in a savepoint of it (pytest-django's django_db), so nothing leaks between tests."""
    from reports.maps import forget_cached

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
                w = build_world()
            forget_cached()
            cache.clear()
            w.checksum = database_checksum()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield w
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
        forget_cached()
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rate limits, login failure counters and report page caches start empty in each test."""
    from reports.maps import forget_cached

    cache.clear()
    forget_cached()


# The database checksum -----------------------------------------------------------------------
# Left out, because a denied request may legitimately touch them:
# - sessions: a visit may create or refresh the visitor's session (login form, messages);
# - ApiToken.last_used_at: authenticating a valid token records its use, whatever the answer.
# Sessions, and the aggregates' summary rows and marks (cooperatives.summaries): derived
# from the organisations, refreshed by the reads that need them.
EXCLUDED_TABLES = {Session._meta.db_table, AggregateSummary._meta.db_table,
                   AggregateDirty._meta.db_table}
EXCLUDED_COLUMNS = {(ApiToken._meta.db_table, ApiToken._meta.get_field("last_used_at").column)}


def _tables() -> list[tuple[str, list[str]]]:
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in EXCLUDED_TABLES:
            continue
        columns = [f.column for f in meta.concrete_fields
                   if (meta.db_table, f.column) not in EXCLUDED_COLUMNS]
        tables[meta.db_table] = columns
    return sorted(tables.items())


def database_checksum() -> dict[str, tuple[int, str]]:
    """{table: (row count, md5 of its sorted rows)} for every table of every model."""
    quote = connection.ops.quote_name
    result = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            parts = []
            for table, columns in _tables():
                row = f"ROW({', '.join(quote(c) for c in columns)})::text"
                parts.append(f"SELECT '{table}', COUNT(*), "
                             f"MD5(COALESCE(STRING_AGG({row}, E'\\n' ORDER BY {row}), '')) "
                             f"FROM {quote(table)}")
            cursor.execute(" UNION ALL ".join(parts))
            return {table: (count, digest) for table, count, digest in cursor.fetchall()}
        for table, columns in _tables():  # portable: hash the sorted rows in Python
            cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}")
            rows = sorted(repr(row) for row in cursor.fetchall())
            result[table] = (len(rows), hashlib.md5("\n".join(rows).encode()).hexdigest())
    return result


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


# Requests ------------------------------------------------------------------------------------

def client_of(w, role: str, api: bool, *, session: bool = False) -> Client:
    """HTML: the role's session. API: the role's token (the contract for ministries and
    integrators), or its session (`session=True`). The dead tokens are sent on HTML pages too,
    where they are ignored.

    One Client serves the whole module: a new one loads the middleware again, and WhiteNoise
    then walks every static file (about 0.1 s a request)."""
    client = w.client
    client.cookies = SimpleCookie()
    client.defaults.pop("HTTP_AUTHORIZATION", None)
    if role in DEAD_TOKENS or (api and not session and role != "anonymous"):
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {w.tokens[role]}"
    elif role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[role]
    return client


def url_of(name: str, route: Route, w) -> str:
    url = route.path(w) if route.path else reverse(name, kwargs=route.kwargs(w))
    return f"{url}?{route.query(w)}" if route.query else url


def send(client: Client, method: str, url: str, data, api: bool):
    if method == "GET":
        return client.get(url)
    if api:
        return client.generic(method, url, json.dumps(data or {}),
                              content_type="application/json")
    if method == "POST":
        return client.post(url, data or {})
    return client.generic(method, url)


def expected_code(name: str, route: Route, method: str, role: str):
    codes = getattr(route, method.lower())
    api = is_api(name)
    if role in DEAD_TOKENS:
        return 401 if api else expected_code(name, route, method, "anonymous")
    if role == "nobody" and api and codes["anonymous"] == LOGIN:
        return 403  # signed in with no role: refused before the method or the object
    code = codes[role]
    return 401 if api and code == LOGIN else code


def body_of(response) -> str:
    if response.streaming:
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode(errors="replace")


def writes(route: Route, role: str) -> bool:
    return route.writes is True or role in (route.writes or ())


def _payload(route: Route, method: str):
    return {"POST": route.payload, "PUT": route.put_payload,
            "PATCH": route.patch_payload}.get(method)


def _cells():
    for name, route in MATRIX.items():
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if getattr(route, method.lower()) is None:
                continue
            for role in ROLES:
                marks = []
                observed = CONTRADICTIONS.get((name, role, method))
                if observed:
                    marks.append(pytest.mark.xfail(strict=True, reason=(
                        f"contradicts PRODUCT.md: answers {observed}")))
                yield pytest.param(name, role, method, marks=marks,
                                   id=f"{name}-{role}-{method}")


# Tests ---------------------------------------------------------------------------------------

def test_it_lists_every_route():
    routes = urlconf_routes()
    missing = sorted(set(routes) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(routes))
    assert not missing, "routes without an entry in MATRIX: " + ", ".join(
        f"{name} ({routes[name]})" for name in missing)
    assert not stale, "MATRIX entries for routes that no longer exist: " + ", ".join(stale)


@pytest.mark.parametrize(("name", "role", "method"), list(_cells()))
def test_it_answers_each_role_as_the_matrix_says(world, name, role, method):
    route = MATRIX[name]
    api = is_api(name)
    expected = expected_code(name, route, method, role)
    payload = _payload(route, method)
    response = send(client_of(world, role, api), method, url_of(name, route, world),
                    payload(world) if payload else None, api)
    cell = f"{name}-{role}-{method}"
    if expected == LOGIN:
        location = response.get("Location", "")
        assert (response.status_code, location.startswith(reverse("login"))) == (302, True), (
            f"{cell}: {response.status_code} {location}")
    else:
        assert response.status_code == expected, (
            f"{cell}: answered {response.status_code}, expected {expected}")
    if api and response.status_code >= 400:
        assert response["Content-Type"] == "application/json", cell
        assert response.json()["detail"], cell
        if response.status_code == 401:
            assert response["WWW-Authenticate"] == "Token", cell
    if method != "GET" and (expected == LOGIN or expected >= 400):
        changed = changed_tables(world.checksum, database_checksum())
        assert not changed, f"{cell}: a denied write changed {changed}"
    elif method != "GET" and writes(route, role):
        assert changed_tables(world.checksum, database_checksum()), (
            f"{cell}: an accepted write changed nothing")


# Personal data: the crafted contacts of org_a and org_b.
ORG_A_CONTACTS = PERSONAL_DATA[:3]
ORG_B_CONTACTS = PERSONAL_DATA[3:]
FORBIDDEN = {
    "anonymous": PERSONAL_DATA, "expired_token": PERSONAL_DATA, "analyst": PERSONAL_DATA,
    "revoked_token": PERSONAL_DATA, "nobody": PERSONAL_DATA,
    "agent_a": ORG_B_CONTACTS, "rep_a": ORG_B_CONTACTS,
    "agent_b": ORG_A_CONTACTS, "rep_b": ORG_A_CONTACTS,
    ADMIN: (),
    **{reviewer: PERSONAL_DATA for reviewer in REVIEWERS},
}
# Seen somewhere by these roles: proves the search reads the bodies it should.
SEEN = {"agent_a": ORG_A_CONTACTS, "rep_a": ORG_A_CONTACTS, ADMIN: PERSONAL_DATA}
# Commune A's private records, searched in the same bodies: the draft's need (its agent,
# analysts and the admin), the bureau member's name (a person: commune A's people and the
# admin) and the row of agent_a's pending import (agent_a and the admin).
DRAFT, BUREAU, IMPORTED = "Piste agricole", "Chantal Bureau", "Coopérative Importée"
RECORDS_HIDDEN = {
    "anonymous": (DRAFT, BUREAU, IMPORTED), "expired_token": (DRAFT, BUREAU, IMPORTED),
    "revoked_token": (DRAFT, BUREAU, IMPORTED), "nobody": (DRAFT, BUREAU, IMPORTED),
    "analyst": (BUREAU, IMPORTED), "agent_a": (), "rep_a": (DRAFT, IMPORTED),
    "agent_b": (DRAFT, BUREAU, IMPORTED), "rep_b": (DRAFT, BUREAU, IMPORTED), ADMIN: (),
    **{reviewer: (DRAFT, BUREAU, IMPORTED) for reviewer in REVIEWERS},
}


def _variants(url: str) -> tuple[str, str]:
    return url, f"{url}{'&' if '?' in url else '?'}format=csv"


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_contacts_only_to_their_organisations_people(world, role):
    """Every GET route the role reaches (200), as HTML/JSON and as CSV where it exists."""
    leaks, records, reached, seen = [], [], 0, set()
    for name, route in MATRIX.items():
        if expected_code(name, route, "GET", role) != 200:
            continue
        url = url_of(name, route, world)
        for variant in _variants(url):
            response = client_of(world, role, is_api(name)).get(variant)
            if response.status_code != 200:
                assert variant != url, f"{name}: {response.status_code} for {role}"
                continue  # no CSV here
            reached += 1
            body = body_of(response)
            leaks += [f"{secret!r} in {variant}" for secret in FORBIDDEN[role]
                      if secret in body]
            records += [f"{text!r} in {variant}" for text in RECORDS_HIDDEN[role]
                        if text in body]
            seen.update(secret for secret in PERSONAL_DATA if secret in body)
    assert reached
    assert not leaks, f"{role} sees personal data it must not: {leaks}"
    assert not records, f"{role} reads commune A records out of its scope: {records}"
    assert seen >= set(SEEN.get(role, ())), f"{role} never sees {set(SEEN[role]) - seen}"


def test_the_checksum_sees_a_write_but_not_a_token_use(world):
    assert database_checksum() == world.checksum
    response = client_of(world, "analyst", api=True).get(reverse("api-aggregates"))
    assert response.status_code == 200
    assert ApiToken.objects.filter(last_used_at__isnull=False).exists()
    assert database_checksum() == world.checksum  # last_used_at is left out
    response = client_of(world, "agent_a", api=False).post(
        reverse("organisation_edit", args=[world.org_a.pk]),
        _organisation_form(world, name="Coop Renommée"))
    assert response.status_code == 302
    changed = changed_tables(world.checksum, database_checksum())
    assert "cooperatives_organisation" in changed
    assert "cooperatives_historicalorganisation" in changed


ADMIN_PAGES = ("admin:index", "admin:cooperatives_organisation_changelist",
               "admin:accounts_user_changelist", "admin:diagnostics_intervention_changelist",
               "admin:accounts_apitoken_changelist")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_it_keeps_the_django_admin_for_staff(world, page, role):
    response = client_of(world, role, api=False).get(reverse(page))
    if role == ADMIN:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# Beside the matrix: what a status code cannot say --------------------------------------------

def test_it_sends_each_role_to_its_own_space(world):
    spaces = {"agent_a": reverse("commune_dashboard", args=[A]),
              "rep_a": reverse("our_space"),
              "analyst": reverse("reports:convergence_national") + "?ministry=MINADER",
              "nobody": reverse("home"),
              ADMIN: reverse("organisation_list_all")}
    for role, space in spaces.items():
        assert client_of(world, role, api=False).get("/me/")["Location"] == space, role


def test_it_does_not_list_other_communes_organisations(world):
    response = client_of(world, "agent_a", api=False).get("/organisations/?q=Coop")
    names = [o.name for o in response.context["page"]]
    assert world.org_b.name not in names
    assert world.org_a.name in names


def test_it_exports_only_the_users_scope(world):
    response = client_of(world, "agent_a", api=False).get("/organisations/?format=csv")
    body = b"".join(response.streaming_content).decode()
    assert world.org_a.name in body
    assert world.org_b.name not in body
    assert "bruno.private@example.org" not in body


def test_it_hides_another_commune_from_an_agent_list(world):
    client = client_of(world, "agent_b", api=True)
    rows = client.get("/api/v1/organisations/").json()["results"]
    assert [row["name"] for row in rows] == ["Coop Manioc Bêta"]
    filtered = client.get("/api/v1/organisations/", {"commune": A})
    assert filtered.json()["count"] == 0


def test_it_lists_a_reviewer_its_territory_only(world):
    """Commune A and B share the reviewers' department: both are listed, without contacts;
    far_rev's department has neither, and a filter cannot widen that."""
    everything = {world.org_a.name, world.org_b.name, world.org_a2.name, world.twin.name}
    for role, names in (("dept_rev", everything), ("region_rev", everything),
                        ("far_rev", set())):
        client = client_of(world, role, api=True)
        response = client.get("/api/v1/organisations/", {"page_size": 100})
        assert {row["name"] for row in response.json()["results"]} == names, role
        assert not [row for row in response.json()["results"] if "contact_name" in row]
        assert client.get("/api/v1/organisations/", {"commune": A}).json()["count"] == (
            3 if names else 0)


@pytest.mark.parametrize("role", ["agent_b", "rep_b", "far_rev"])
def test_it_answers_out_of_scope_like_missing(world, role):
    client = client_of(world, role, api=True)
    hidden = client.get(f"/api/v1/organisations/{world.org_a.pk}/")
    missing = client.get("/api/v1/organisations/987654/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("role", ["agent_a", "agent_b", "rep_a", "analyst", "nobody",
                                  "dept_rev", "far_rev"])
@pytest.mark.parametrize(("name", "method"), [
    ("api-organisation-detail", "GET"), ("api-organisation-detail", "PATCH"),
    ("api-organisation-list", "POST"), ("api-commune-aggregates", "GET"),
])
def test_it_answers_a_session_on_the_api_like_a_token(world, name, method, role):
    # The test client skips the CSRF check that production session writes go through (below).
    route = MATRIX[name]
    payload = _payload(route, method)
    response = send(client_of(world, role, api=True, session=True), method,
                    url_of(name, route, world), payload(world) if payload else None, api=True)
    assert response.status_code == expected_code(name, route, method, role)


def test_it_refuses_an_api_session_write_without_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["agent_a"]
    response = client.patch(f"/api/v1/organisations/{world.org_a.pk}/",
                            json.dumps({"name": "X"}), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not changed_tables(world.checksum, database_checksum())
