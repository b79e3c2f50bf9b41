"""`python manage.py import_scores --period YEAR FILE`: appraisal scores from CSV or .xlsx."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.importing import scores_apply, scores_plan
from scoring.models import Period


class Command(BaseCommand):
    help = (
        "Nhập điểm thẩm định của một kỳ từ CSV hoặc .xlsx (cột unit_code, criterion_code, points, "
        "deduction, reason). Kiểm tra toàn bộ tệp trước; có lỗi thì không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--period", type=int, required=True, help="Năm của kỳ đánh giá.")
        parser.add_argument(
            "--round", type=int, choices=[1, 2], default=1, help="Thẩm định lần 1 hoặc 2."
        )
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi.")

    def handle(self, *args, file, period, round, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        period_obj = Period.objects.filter(year=period).first()
        if period_obj is None:
            raise CommandError(f"Không có kỳ đánh giá năm {period}.")
        plan = scores_plan(
            period=period_obj, data=path.read_bytes(), filename=path.name, round=round
        )
        if plan.errors:
            for problem in plan.errors:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(plan.errors)} lỗi; không có gì được ghi.")
        if dry_run:
            self.stdout.write(
                f"Đã kiểm tra {plan.checked_rows} dòng: {len(plan.changes)} thay đổi (chưa ghi)."
            )
            return
        n = scores_apply(plan=plan)
        self.stdout.write(f"Đã kiểm tra {plan.checked_rows} dòng, ghi {n} tiêu chí.")
