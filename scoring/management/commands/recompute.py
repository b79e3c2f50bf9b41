"""python manage.py recompute --period 2024 [--unit so-tu-phap ...]

Recomputes a period's stored results now (all of it, or the named units' assessments and their
groups' ranks), with a progress bar and a summary line. Waits if a worker is recomputing the same
period.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from scoring.models import Period, RecomputeRun
from scoring.recompute import recompute_now
from units.models import Unit

BAR = 30


class Command(BaseCommand):
    help = "Tính lại tổng điểm, chỉ số, điểm chỉ số thành phần và xếp hạng của một kỳ đánh giá."

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="năm của kỳ đánh giá")
        parser.add_argument(
            "--unit",
            action="append",
            default=[],
            metavar="CODE",
            help="mã đơn vị (lặp lại được); bỏ trống để tính cả kỳ",
        )

    def handle(self, *args, **opts):
        period = Period.objects.filter(year=opts["period"]).first()
        if period is None:
            raise CommandError(f"Không có kỳ đánh giá năm {opts['period']}.")
        unit_ids = None
        if opts["unit"]:
            found = dict(Unit.objects.filter(code__in=opts["unit"]).values_list("code", "pk"))
            missing = [c for c in opts["unit"] if c not in found]
            if missing:
                raise CommandError(f"Không có đơn vị mã: {', '.join(missing)}.")
            unit_ids = list(found.values())
        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False
        labels = {
            "components": "chỉ số thành phần",
            "totals": "tổng điểm",
            "ranks": "xếp hạng",
            "next period": "kỳ sau",
            "done": "xong",
        }

        def progress(step: int, total: int, label: str) -> None:
            filled = BAR * step // total
            line = (
                f"[{'#' * filled}{'.' * (BAR - filled)}] {step * 100 // total:3d}% {labels[label]}"
            )
            if interactive:
                self.stdout.write(f"\r{line:<60}", ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        stats = recompute_now(
            period,
            unit_ids,
            trigger=RecomputeRun.Trigger.COMMAND,
            progress=progress,
        )
        if interactive:
            self.stdout.write("")
        seconds = f"{stats.duration_ms / 1000:.2f}".replace(".", ",")
        self.stdout.write(
            self.style.SUCCESS(
                f"Kỳ {period.year}: đã tính lại {stats.assessments} bản đánh giá trong {seconds} giây "
                f"({stats.results_changed} kết quả, {stats.components_changed} kết quả chỉ số thành "
                f"phần, {stats.ranks_changed} thứ hạng thay đổi)."
            )
        )
        sys.stdout.flush()
