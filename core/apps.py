from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Hệ thống")

    def ready(self) -> None:
        from .setup import ensure_role_groups

        # After every migrate: the four role groups exist with their admin permissions.
        post_migrate.connect(ensure_role_groups, dispatch_uid="core.ensure_role_groups")
