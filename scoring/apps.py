from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Chấm điểm")

    def ready(self) -> None:
        # Recomputes follow the writes of the apps below (units, surveys): see scoring.receivers.
        from . import receivers  # noqa: F401
