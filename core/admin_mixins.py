"""Shared by the apps' admin classes."""

from django.core.exceptions import PermissionDenied
from django.db import models
from simple_history.admin import SimpleHistoryAdmin


class LocalizedDecimals:
    """Decimal fields shown in the language's format (87,50 in Vietnamese, 87.50 in English) and
    read either way ("87,5" or "87.5"), instead of the browser's number input, which refuses the
    decimal comma a Vietnamese officer types."""

    formfield_overrides = {models.DecimalField: {"localize": True}}


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin with its history pages read-only.

    SIMPLE_HISTORY_REVERT_DISABLED only hides the "Revert" button: a POST to an old version's page
    still saves it, around the services that check and recompute (a score, a locked assessment's
    unit). Here the old versions are shown, never saved back."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
