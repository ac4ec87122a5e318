"""The installable web app: its manifest, its service worker (served at the root so its scope
is the whole site) and what base.html needs to start the offline layer (issue 18).

The worker's source is static/js/sw.js; this view prefixes it with the version (a hash of the
files it keeps, so a change of any of them installs a new worker) and the URLs of those files
(hashed names in production)."""

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cooperatives.permissions import scope_of

# The files every offline page needs, kept by the worker when it installs.
ASSETS = ("css/site.css", "css/print.css", "js/offline.js", "js/forms.js",
          "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png")
THEME_COLOUR = "#0b5d1e"  # --accent of static/css/site.css
BACKGROUND_COLOUR = "#ffffff"  # --bg
# The most a phone keeps of the user's data (the snapshot); beyond, it is not stored, and said.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def offline_client(request) -> dict:
    """Context processor: whether the signed-in user may work offline (CTD agents and
    representatives: the roles with a commune or an organisation), and the client's settings.
    Read only when a template shows it (base.html), like the menu."""
    return {"offline_client": SimpleLazyObject(lambda: _client(request.user))}


def _client(user) -> dict:
    scope = scope_of(user)
    enabled = bool(user.is_authenticated and (scope.commune_ids or scope.organisation_ids))
    role = "agent" if scope.commune_ids else "representative" if scope.organisation_ids else ""
    return {"enabled": enabled, "config": {
        "enabled": enabled, "role": role,
        "maxBytes": getattr(settings, "OFFLINE_MAX_BYTES", DEFAULT_MAX_BYTES),
        "strings": client_strings() if enabled else {},
    }}


def client_strings() -> dict:
    """What the offline script says, in the user's language ({n}, {size}... are filled in by
    the script; `_one`/`_other`: the plural forms, chosen by the language's rule)."""
    return {
        "badge_one": _("{n} change waiting to be sent"),
        "badge_other": _("{n} changes waiting to be sent"),
        "logout_one": _("{n} change has not been sent yet. It stays on this phone: only you "
                        "will see it, and it will be sent when you sign in again. Sign out?"),
        "logout_other": _("{n} changes have not been sent yet. They stay on this phone: only "
                          "you will see them, and they will be sent when you sign in again. "
                          "Sign out?"),
        "saved": _("Saved on this phone. It will be sent when the connection comes back."),
        "waiting": _("Waiting to be sent"),
        "sending": _("Sending…"),
        "invalid": _("To correct"),
        "conflict": _("Conflict to resolve"),
        "done": _("Sent"),
        "refused": _("Refused by the server"),
        "empty": _("Nothing waiting: every change has been sent."),
        "send": _("Send now"),
        "correct": _("Correct"),
        "resolve": _("Resolve the conflict"),
        "view": _("View"),
        "remove": _("Remove"),
        "remove_confirm": _("Remove this change from the phone? It will not be sent."),
        "offline": _("No connection: the changes will be sent when it comes back."),
        "signed_out": _("Sign in again to send the changes: they stay on this phone."),
        "failed": _("The server did not answer: the changes will be sent later."),
        "kept": _("{size} kept on this phone (updated {time})."),
        "too_big": _("The data of your communes ({size}) is larger than the {max} this phone "
                     "may keep: it was not stored."),
        "no_data": _("Nothing kept on this phone yet: open this page once with a connection."),
        "not_kept": _("This page is not kept on this phone. Here is what is."),
        "unknown": _("This record is not kept on this phone: open it once with a connection."),
        "edit": _("Edit"),
        "event": _("Record an event"),
        "verify": _("Record a verification visit"),
        "link": _("Propose a link"),
        "propose": _("Propose a change"),
        "create": _("Register an organisation"),
        "entry": _("Add a diagnostic entry"),
        "diagnostic": _("Open diagnostic {year}"),
    }


def _read(name: str) -> bytes:
    path = finders.find(name)
    if path is None:  # a deployment that keeps only the collected files
        from django.contrib.staticfiles.storage import staticfiles_storage
        with staticfiles_storage.open(name) as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def _worker_source() -> str:
    digest = hashlib.sha256()
    source = _read("js/sw.js")
    digest.update(source)
    for name in ASSETS:
        digest.update(_read(name))
    version = json.dumps(digest.hexdigest()[:12])
    assets = json.dumps([static(name) for name in ASSETS])
    head = f"var VERSION = {version};\nvar ASSETS = {assets};\n"
    return head + source.decode()


_cached_worker_source = lru_cache(maxsize=1)(_worker_source)


@require_GET
def service_worker(request):
    """/sw.js: never cached by the browser's HTTP cache, so an update is seen at once."""
    source = _worker_source() if settings.DEBUG else _cached_worker_source()
    response = HttpResponse(source, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache, no-store, max-age=0"
    return response


@require_GET
def manifest(request):
    """The web app manifest, named in the visitor's language."""
    data = {
        "name": _("RELESS platform"),
        "short_name": "RELESS",
        "description": _("Work offline in the field: the commune's organisations on this "
                         "phone, changes sent when the connection comes back."),
        "lang": get_language(),
        "start_url": "/offline/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json",
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response
