"""What each kind of notice says, in the active language: its title and its sentence, made
from the values stored with the notice. A value is a string, or {"fr": ..., "en": ...} for a
name known in both languages (a filière, a kind of link), read in the language of the page
or of the e-mail."""

from django.utils.translation import get_language, gettext_lazy

TITLES = {
    "change_approved": gettext_lazy("Change request approved"),
    "change_rejected": gettext_lazy("Change request rejected"),
    "link_proposed": gettext_lazy("Link proposed"),
    "link_confirmed": gettext_lazy("Link confirmed"),
    "link_refused": gettext_lazy("Link refused"),
    "link_ended": gettext_lazy("Link ended"),
    "opportunity": gettext_lazy("New cooperation opportunity"),
}


def title(kind: str) -> str:
    return str(TITLES.get(kind, kind))


SENTENCES = {
    "change_approved": gettext_lazy(
        "Your change request for %(organisation)s has been approved: the new values are in "
        "the registry."),
    "change_rejected": gettext_lazy(
        "Your change request for %(organisation)s has been rejected. Reason: %(reason)s"),
    "link_proposed": gettext_lazy(
        "%(source)s proposes a link “%(link_kind)s” with %(target)s: it counts once both "
        "sides have confirmed it."),
    "link_confirmed": gettext_lazy(
        "The link “%(link_kind)s” between %(source)s and %(target)s is confirmed by both "
        "sides: it now counts in the reports."),
    "link_refused": gettext_lazy(
        "The proposed link “%(link_kind)s” between %(source)s and %(target)s has been "
        "refused."),
    "link_ended": gettext_lazy(
        "The link “%(link_kind)s” between %(source)s and %(target)s has ended."),
    "opportunity": gettext_lazy(
        "New cooperation opportunity: %(organisation)s and %(partner)s share %(filieres)s and "
        "have no link yet."),
}


def _value(value) -> str:
    if isinstance(value, dict):
        return str(value.get(get_language() or "fr") or value.get("fr") or "")
    return str(value)


class _Values(dict):
    """The values in the active language; a value the sentence names but the notice lacks
    reads as empty rather than failing the page."""

    def __missing__(self, key):
        return ""


def text(kind: str, params: dict) -> str:
    """The notice's sentence in the active language."""
    values = _Values({k: _value(v) for k, v in (params or {}).items()})
    return str(SENTENCES.get(kind, kind)) % values
