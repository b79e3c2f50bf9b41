from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Chấm điểm")

    def ready(self) -> None:
        # Recomputes follow the writes of the apps below (units, surveys): see scoring.receivers.
        # The tasks are registered in every process, workers or not: scoring.recompute.jobs sends
        # them by name (run eagerly in the demo and the tests).
        from . import receivers, tasks  # noqa: F401
