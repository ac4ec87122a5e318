"""The registry identifiers an organisation may carry besides its id, how each is written and
which are unique (docs/identifiers.md). One function per identifier turns what was typed into
the stored form, or None when the text is not such an identifier; the model, hence forms, API,
imports and change requests, holds every write to them.

- RSC number (Registre des Sociétés Coopératives, MINADER): no public format is known, so it
  is free text with at least one letter or digit, unique in the registry.
- NIU (Numéro d'Identifiant Unique of the Direction Générale des Impôts): one letter, 12 digits,
  one letter (e.g. M051812345678A), stored in capitals without spaces; unique (one taxpayer).
- UES register number (Registre Général des Unités de l'Économie Sociale, arrêté 042/PM of
  2022): no format is published either; the platform takes 4 to 40 letters and digits with
  `-`, `/` or `.` between groups, at least one digit, stored in capitals without spaces;
  unique (one unit, one entry).
"""

import re

from django.utils.translation import gettext_lazy

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_NIU = re.compile(r"[A-Z]\d{12}[A-Z]")
_UES = re.compile(r"[A-Z0-9]+(?:[-/.][A-Z0-9]+)*")
_WORD = re.compile(r"[^\W_]")

NIU_MESSAGE = gettext_lazy(
    "Enter the NIU as on the tax card: one letter, 12 digits and one letter, for example "
    "M051812345678A.")
UES_MESSAGE = gettext_lazy(
    "Enter the UES register number: 4 to 40 letters and digits (at least one digit), "
    "groups separated by -, / or ., for example UES-07-2023-00012.")
RSC_MESSAGE = gettext_lazy("This RSC number has no letter or digit.")


def compact(text: str | None) -> str:
    """The text in capitals, without any space."""
    return _SPACES.sub("", text or "").upper()


def normalise_niu(text: str | None) -> str | None:
    """The NIU in `text` (spaces, dots and dashes between its characters allowed), '' for
    an empty text, None when it is not a NIU."""
    value = re.sub(r"[.\-]", "", compact(text))
    if not value:
        return ""
    return value if _NIU.fullmatch(value) else None


def normalise_ues(text: str | None) -> str | None:
    """The UES register number in `text`, '' for an empty text, None when it is not one."""
    value = compact(text)
    if not value:
        return ""
    valid = 4 <= len(value) <= 40 and _UES.fullmatch(value) and any(c.isdigit() for c in value)
    return value if valid else None


def rsc_is_valid(text: str) -> bool:
    """Whether an RSC number has a letter or a digit (its only known rule)."""
    return bool(_WORD.search(text))
