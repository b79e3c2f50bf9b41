"""python manage.py publish --period 2025 [--leave-out CODE REASON ...] [--user USERNAME] [--yes]

The publication page's checklist and confirmation from the command line. Without --yes it prints
the checklist (units not appraised, explanations undecided, reopen requests open, criteria without
a score, survey results missing) and the version that would be created, and writes nothing. With
--yes it publishes: refused while a unit is not appraised, unless it is left out with a reason
(published as not assessed, without a rank); the appraised assessments move to published, each
move in the state history with the user (by default the import account "nhap-lieu").
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from scoring.models import Assessment, Period
from scoring.selectors.publication import publication_checklist
from scoring.services.accounts import command_user
from scoring.snapshots import period_publish


class Command(BaseCommand):
    help = (
        "Công bố kết quả một kỳ đánh giá: in danh sách kiểm tra và phiên bản sẽ tạo; với --yes "
        "thì công bố (đơn vị chưa thẩm định phải được để ra ngoài kèm lý do bằng --leave-out)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="Năm của kỳ đánh giá.")
        parser.add_argument(
            "--leave-out",
            nargs=2,
            action="append",
            default=[],
            metavar=("CODE", "LY_DO"),
            help="Để đơn vị chưa thẩm định ra ngoài kỳ công bố, kèm lý do (lặp lại được).",
        )
        parser.add_argument("--user", help="Tên đăng nhập người công bố (mặc định: nhap-lieu).")
        parser.add_argument("--yes", action="store_true", help="Xác nhận công bố.")

    def handle(self, *args, **opts):
        period = Period.objects.filter(year=opts["period"]).first()
        if period is None:
            raise CommandError(f"Không có kỳ đánh giá năm {opts['period']}.")
        try:
            user = command_user(opts["user"])
        except DomainError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        codes = dict(opts["leave_out"])
        found = dict(
            Assessment.objects.filter(period=period, unit__code__in=codes).values_list(
                "unit__code", "pk"
            )
        )
        missing = sorted(set(codes) - set(found))
        if missing:
            raise CommandError(
                f"Không có bản đánh giá năm {period.year} của đơn vị: {', '.join(missing)}."
            )
        checklist = publication_checklist(period)
        self._print_checklist(checklist)
        if checklist.next_version > 1:
            raise CommandError(
                f"Kết quả {period.name} đã được công bố; muốn sửa thì lập bản đính chính trên trang."
            )
        if not opts["yes"]:
            self.stdout.write(
                f"Sẽ tạo phiên bản {checklist.next_version}. Chưa ghi gì: thêm --yes để công bố."
            )
            return
        left_out = {found[code]: reason for code, reason in codes.items()}
        try:
            snapshot = period_publish(period=period, user=user, left_out=left_out)
        except DomainError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError("Chưa công bố: không có gì được ghi.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã công bố {period.name}, phiên bản {snapshot.version} (người công bố: "
                f"{user.username}); {len(left_out)} đơn vị công bố là “không đánh giá”."
            )
        )

    def _print_checklist(self, checklist) -> None:
        write = self.stdout.write
        write(
            f"Đã thẩm định: {checklist.appraised}; chưa thẩm định: {len(checklist.not_appraised)}."
        )
        for a in checklist.not_appraised:
            write(f"  - {a.unit.code} {a.unit.name}: {a.get_state_display()}")
        write(f"Giải trình chưa quyết định: {checklist.explanations_pending}.")
        write(f"Đề nghị mở lại chưa quyết định: {checklist.reopen_open}.")
        write(f"Đơn vị còn tiêu chí chưa có điểm: {len(checklist.unscored)}.")
        for name, n in checklist.unscored:
            write(f"  - {name}: {n} tiêu chí")
        write(f"Đơn vị thiếu kết quả điều tra: {len(checklist.surveys_missing)}.")
        for name, n in checklist.surveys_missing:
            write(f"  - {name}: {n} tiêu chí")
