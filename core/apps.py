from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Hệ thống")

    def ready(self) -> None:
        from django.contrib import admin

        from . import request_log  # noqa: F401 (connects the Celery signals: request id in tasks)
        from .permissions import Action, can
        from .setup import ensure_role_groups

        def has_permission(request) -> bool:
            return (
                request.user.is_active
                and request.user.is_staff
                and can(request.user, Action.USE_ADMIN)
            )

        # The admin asks the same permission table as every other page.
        admin.site.has_permission = has_permission

        # After every migrate: the four role groups exist with their admin permissions.
        post_migrate.connect(ensure_role_groups, dispatch_uid="core.ensure_role_groups")
