"""Errors that services raise for a user's mistake: views turn them into messages, never a 500."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A rule of the domain refused the change; the message is translated and shown to the user."""


class TransitionNotAllowed(DomainError):
    pass


class AccessDenied(Exception):
    """Raised by the access rules; views answer 403 (or 404 where existence must not leak)."""
