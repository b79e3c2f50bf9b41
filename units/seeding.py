"""The unit kinds every installation starts with, there again after any migrate or flush.

The data migration units/0003 seeds them once; this receiver of post_migrate (sent after `migrate`
and after `flush`, which the transactional tests and a database reset run) puts back any that is
missing, so that a flushed database never refuses a unit of a seeded kind. A kind the admin renamed
is left as it is (get_or_create by code)."""

from __future__ import annotations

DEFAULT_KINDS = [
    ("department", "Sở, ban, ngành", "Departments and agencies", 10),
    ("district", "Quận, huyện, thị xã", "Urban and rural districts, towns", 20),
    ("commune", "Xã, phường, thị trấn", "Communes, wards and townships", 30),
    ("province", "Tỉnh, thành phố trực thuộc Trung ương", "Provinces and centrally run cities", 40),
]


def seed_unit_kinds(sender=None, using="default", **kwargs) -> None:
    from .models import UnitKind

    present = set(UnitKind.objects.using(using).values_list("code", flat=True))
    for code, name, name_en, order in DEFAULT_KINDS:
        if code in present:
            continue
        UnitKind.objects.using(using).get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
