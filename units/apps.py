from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    name = "units"
    verbose_name = _("Cơ quan, đơn vị")

    def ready(self) -> None:
        from .seeding import seed_unit_kinds

        post_migrate.connect(seed_unit_kinds, sender=self, dispatch_uid="units.seed_unit_kinds")
