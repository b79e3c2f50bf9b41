from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Điều tra xã hội học")

    def ready(self) -> None:
        # The tasks are registered in every process: surveys.jobs sends them by name.
        from . import tasks  # noqa: F401
