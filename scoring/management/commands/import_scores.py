"""`python manage.py import_scores --period YEAR [--round 2] [--user USERNAME] [--dry-run] FILE`:
appraisal scores from CSV or .xlsx, recorded in the history under USERNAME (by default the import
account "nhap-lieu", created on demand without a password)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from scoring.importing import IMPORT_USERNAME, import_account, scores_apply, scores_plan
from scoring.models import Period


class Command(BaseCommand):
    help = (
        "Nhập điểm thẩm định của một kỳ từ CSV hoặc .xlsx (cột unit_code, criterion_code, points, "
        "deduction, reason, not_applicable). Kiểm tra toàn bộ tệp trước; có lỗi thì không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--period", type=int, required=True, help="Năm của kỳ đánh giá.")
        parser.add_argument(
            "--round", type=int, choices=[1, 2], default=1, help="Thẩm định lần 1 hoặc 2."
        )
        parser.add_argument(
            "--user",
            default="",
            help=f"Người ghi trong lịch sử (mặc định tài khoản nhập liệu “{IMPORT_USERNAME}”).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi.")

    def handle(self, *args, file, period, round, user="", dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        period_obj = Period.objects.filter(year=period).first()
        if period_obj is None:
            raise CommandError(f"Không có kỳ đánh giá năm {period}.")
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"Không có người dùng “{user}”.")
        else:
            account = import_account()
        plan = scores_plan(
            period=period_obj, data=path.read_bytes(), filename=path.name, round=round
        )
        if plan.errors:
            for problem in plan.errors:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(plan.errors)} lỗi; không có gì được ghi.")
        if plan.explained:
            self.stdout.write(
                f"{plan.explained} điểm bị trừ được sửa hoặc gỡ có giải trình của đơn vị "
                "(giải trình được giữ lại)."
            )
        if dry_run:
            self.stdout.write(
                f"Đã kiểm tra {plan.checked_rows} dòng: {plan.change_count} thay đổi (chưa ghi)."
            )
            return
        try:
            n = scores_apply(plan=plan, user=account)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Đã kiểm tra {plan.checked_rows} dòng: {plan.change_count} thay đổi, ghi {n} tiêu chí."
        )
