"""What the diagnostics' pages and API tell the access log (accounts.access_log): the actors
that may be persons (PERSON_ACTOR_KINDS), shown by name to readers of personal data."""

from collections.abc import Iterable

from accounts import access_log

from .models import DiagnosticActor, TerritorialDiagnostic
from .permissions import PERSON_ACTOR_KINDS, shows_people

ACTOR = "diagnostics.DiagnosticActor"


def log_actors(request, diagnostic: TerritorialDiagnostic, actors: Iterable[DiagnosticActor],
               *, channel: str = "page") -> None:
    """Log the diagnostic's actors that may be persons whose names the reader was shown."""
    if not shows_people(request.user):
        return
    rows = [(a.pk, diagnostic.commune_id) for a in actors
            if a.kind in PERSON_ACTOR_KINDS and a.name]
    access_log.record(request.user, model=ACTOR, rows=rows, fields=("name", "role"),
                      channel=channel, path=request.get_full_path())
