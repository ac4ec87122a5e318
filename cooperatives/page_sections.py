"""Sections that apps above this one add to the organisation's page.

The organisation's page lives here, but some of what it shows is kept by apps on higher
floors (the support programmes an organisation received): at start-up such an app hands a
function to `provide_organisation_section` (its AppConfig.ready), and the page calls every
provided function. Nothing here imports them.
"""

from collections.abc import Callable

from .models import Organisation

# (user, organisation) -> (template name, context for it), or None to show nothing
OrganisationSection = Callable[[object, Organisation], tuple[str, dict] | None]
_sections: list[OrganisationSection] = []


def provide_organisation_section(section: OrganisationSection) -> None:
    """Called once at start-up by an app above this one (twice is harmless)."""
    if section not in _sections:
        _sections.append(section)


def organisation_sections(user, organisation: Organisation) -> list[tuple[str, dict]]:
    """The provided sections for this reader and organisation, in start-up order."""
    shown = (section(user, organisation) for section in _sections)
    return [s for s in shown if s is not None]
