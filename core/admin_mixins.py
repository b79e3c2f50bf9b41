"""Shared by the apps' admin classes."""

from django.db import models


class LocalizedDecimals:
    """Decimal fields shown in the language's format (87,50 in Vietnamese, 87.50 in English) and
    read either way ("87,5" or "87.5"), instead of the browser's number input, which refuses the
    decimal comma a Vietnamese officer types."""

    formfield_overrides = {models.DecimalField: {"localize": True}}
