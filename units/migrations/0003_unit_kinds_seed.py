"""The unit kinds of today, and the province for rankings of provinces, as data the admin extends.

Rerunnable: a kind already there (perhaps renamed by the admin) is left as it is. A code stored on
a unit, group or framework that is not among them (written before kinds were data) gets a kind of
its own, named by its code, so that every stored code names a kind. The reverse removes the seeded
kinds.
"""

from django.db import migrations

KINDS = [
    ("department", "Sở, ban, ngành", "Departments and agencies", 10),
    ("district", "Quận, huyện, thị xã", "Urban and rural districts, towns", 20),
    ("commune", "Xã, phường, thị trấn", "Communes, wards and townships", 30),
    ("province", "Tỉnh, thành phố trực thuộc Trung ương", "Provinces and centrally run cities", 40),
]


def forwards(apps, schema_editor):
    UnitKind = apps.get_model("units", "UnitKind")
    for code, name, name_en, order in KINDS:
        UnitKind.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
    stored = set(apps.get_model("units", "Unit").objects.values_list("kind", flat=True))
    stored |= set(
        apps.get_model("units", "RankingGroup").objects.values_list("unit_kind", flat=True)
    )
    stored |= set(
        apps.get_model("indicators", "Framework").objects.values_list("unit_kind", flat=True)
    )
    for code in sorted(stored):
        if code:
            UnitKind.objects.get_or_create(code=code, defaults={"name": code, "order": 100})


def backwards(apps, schema_editor):
    apps.get_model("units", "UnitKind").objects.filter(code__in=[k[0] for k in KINDS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("units", "0002_unit_kinds"),
        ("indicators", "0002_unit_kinds"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
