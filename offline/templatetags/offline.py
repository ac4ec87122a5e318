"""`{% offline_form kind target=... version=... commune=... label=... %}`: the data-offline-*
attributes of a page's <form> that static/js/offline.js may queue while offline."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..versions import organisation_version

register = template.Library()

KINDS = ("organisation.create", "organisation.update", "registry_event.add",
         "diagnostic_entry.add", "link.propose", "change_request.submit", "verification.add")


@register.simple_tag
def offline_form(kind: str, *, target=None, version=None, commune=None, label="",
                 shell: bool = False) -> str:
    """The attributes, escaped, each preceded by a space (inside the <form> tag)."""
    if kind not in KINDS:
        raise template.TemplateSyntaxError(f"unknown offline kind {kind!r}")
    attributes = [("kind", kind), ("target", target), ("commune", commune),
                  ("version", version), ("label", label)]
    html = format_html_join("", ' data-offline-{}="{}"',
                            ((name, "" if value is None else value)
                             for name, value in attributes))
    return mark_safe(html + (" data-offline-shell" if shell else ""))  # noqa: S308 - escaped


@register.filter
def offline_version(organisation) -> str:
    """`{{ organisation|offline_version }}`: the token sync compares (offline.versions)."""
    return organisation_version(organisation) if organisation is not None else ""
