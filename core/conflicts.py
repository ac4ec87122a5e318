"""A write refused because of the state of what it touches, not because of its input."""

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """Raised by services like a ValidationError (forms show it above the form with
    `core.forms.add_service_errors`); the API answers it 409 with the message as `detail`."""
