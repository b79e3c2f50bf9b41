"""`python manage.py export_results --period YEAR --format csv|xlsx [--output FILE]`."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.exporting import results_csv, results_xlsx, scores_csv, scores_xlsx
from scoring.models import Period


class Command(BaseCommand):
    help = (
        "Xuất kết quả đã tính của một kỳ: unit_code, unit_name, group, total, percent, rank và một "
        "cột cho mỗi chỉ số thành phần. Với --scores: xuất bảng điểm theo mẫu nhập (import_scores)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="Tệp ghi ra (mặc định: màn hình, chỉ với CSV).")
        parser.add_argument(
            "--scores", action="store_true", help="Xuất điểm từng tiêu chí theo mẫu nhập."
        )
        parser.add_argument("--round", type=int, choices=[1, 2], default=1)

    def handle(self, *args, period, format, output=None, scores=False, round=1, **options):
        period_obj = Period.objects.filter(year=period).first()
        if period_obj is None:
            raise CommandError(f"Không có kỳ đánh giá năm {period}.")
        if scores:
            body = (
                scores_csv(period_obj, round) if format == "csv" else scores_xlsx(period_obj, round)
            )
        else:
            body = results_csv(period_obj) if format == "csv" else results_xlsx(period_obj)
        if output:
            Path(output).write_bytes(body)
            self.stdout.write(f"Đã ghi {output}.")
        elif format == "xlsx":
            raise CommandError("Định dạng xlsx cần --output TỆP.")
        else:
            sys.stdout.flush()
            self.stdout.write(body.decode("utf-8-sig"), ending="")
