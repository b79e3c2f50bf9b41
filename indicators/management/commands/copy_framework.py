"""python manage.py copy_framework --from 2024 --to 2025 [--kind department ...]

Copies a year's frameworks (every kind of unit, or the kinds named) to another year, each copied
criterion linked to the one it continues (continues_from). A kind already present in the target
year is left as it is and said so. All in one transaction.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.errors import DomainError
from indicators.models import Framework
from indicators.services import framework_copy_forward
from units.models import UnitKind


class Command(BaseCommand):
    help = (
        "Sao chép bộ chỉ số của một năm sang năm khác (mọi loại đơn vị, hoặc các loại --kind), "
        "giữ liên kết từng tiêu chí với tiêu chí năm trước."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", type=int, required=True, metavar="YEAR")
        parser.add_argument("--to", dest="target", type=int, required=True, metavar="YEAR")
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            help="Loại đơn vị, mã hoặc tên (department, tỉnh...; lặp lại được).",
        )

    def handle(self, *args, source, target, kind, **options):
        if source == target:
            raise CommandError("Năm nguồn và năm đích phải khác nhau.")
        frameworks = Framework.objects.filter(year=source).order_by("unit_kind")
        if kind:
            names = UnitKind.objects.names()
            unknown = [k for k in kind if k.strip().lower() not in names]
            if unknown:
                raise CommandError(
                    f"Loại đơn vị chưa có: {', '.join(unknown)}. "
                    f"Các loại đã có: {UnitKind.objects.known()}."
                )
            kind = [names[k.strip().lower()] for k in kind]
            frameworks = frameworks.filter(unit_kind__in=kind)
            missing = sorted(set(kind) - set(frameworks.values_list("unit_kind", flat=True)))
            if missing:
                raise CommandError(
                    f"Năm {source} không có bộ chỉ số cho loại đơn vị: {', '.join(missing)}."
                )
        frameworks = list(frameworks)
        if not frameworks:
            raise CommandError(f"Năm {source} không có bộ chỉ số nào.")
        existing = set(Framework.objects.filter(year=target).values_list("unit_kind", flat=True))
        lines = []
        try:
            with transaction.atomic():
                for fw in frameworks:
                    if fw.unit_kind in existing:
                        lines.append(
                            f"{UnitKind.objects.label(fw.unit_kind)}: đã có bộ chỉ số năm {target}, "
                            "giữ nguyên."
                        )
                        continue
                    copy = framework_copy_forward(framework=fw, year=target)
                    lines.append(
                        f"{UnitKind.objects.label(fw.unit_kind)}: đã sao chép “{fw.name}” thành "
                        f"“{copy.name}” ({copy.criteria.count()} tiêu chí)."
                    )
        except DomainError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for line in lines:
            self.stdout.write(line)
