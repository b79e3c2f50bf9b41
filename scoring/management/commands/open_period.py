"""python manage.py open_period --year 2025 [--copy-groups-from 2024]
[--self-deadline DD/MM/YYYY] [--appraisal-deadline DD/MM/YYYY] [--leave-out-kind KIND ...]
[--user USERNAME] [--dry-run]

Opens a year's round: the period, the year's group memberships (copied from another year for the
units still active, or as imported), and one draft assessment for every active unit in a group.
All or nothing; a second run creates nothing and says so.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from scoring.services.accounts import command_user
from scoring.services.rounds import (
    round_open,
    round_open_summary,
    round_plan,
    round_plan_notes,
)

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def parse_date(text: str) -> datetime.date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise CommandError(f"“{text}” không phải là ngày (dd/mm/yyyy hoặc yyyy-mm-dd).")


class Command(BaseCommand):
    help = (
        "Mở kỳ đánh giá của một năm: tạo kỳ, lấy khối xếp hạng của năm (sao chép từ năm khác với "
        "--copy-groups-from cho các đơn vị còn tồn tại), tìm bộ chỉ số cho từng loại đơn vị và tạo "
        "một bản đánh giá (đang soạn) cho mỗi đơn vị thuộc khối. Chạy lại không tạo gì trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm của kỳ đánh giá.")
        parser.add_argument(
            "--copy-groups-from",
            type=int,
            metavar="YEAR",
            help="Sao chép khối xếp hạng của năm này cho các đơn vị chưa có khối trong năm mở.",
        )
        parser.add_argument("--self-deadline", help="Hạn tự đánh giá (dd/mm/yyyy).")
        parser.add_argument("--appraisal-deadline", help="Hạn thẩm định (dd/mm/yyyy).")
        parser.add_argument(
            "--leave-out-kind",
            action="append",
            default=[],
            metavar="KIND",
            help="Không đánh giá năm nay các đơn vị loại này (lặp lại được), vd. commune.",
        )
        parser.add_argument("--user", help="Tên đăng nhập người thực hiện (mặc định: nhap-lieu).")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ cho biết sẽ tạo gì.")

    def handle(self, *args, **opts):
        kwargs = {
            "year": opts["year"],
            "copy_groups_from": opts["copy_groups_from"],
            "self_deadline": (parse_date(opts["self_deadline"]) if opts["self_deadline"] else None),
            "appraisal_deadline": (
                parse_date(opts["appraisal_deadline"]) if opts["appraisal_deadline"] else None
            ),
            "leave_out_kinds": opts["leave_out_kind"],
        }
        plan = round_plan(**kwargs)
        for note in round_plan_notes(plan):
            self.stdout.write(note)
        for k in plan.kinds:
            if k.framework is not None:
                self.stdout.write(f"{k.label}: {k.units} đơn vị, bộ chỉ số “{k.framework.name}”.")
        if plan.errors:
            for message in plan.errors:
                self.stderr.write(message)
            raise CommandError("Không mở được kỳ đánh giá; không có gì được ghi.")
        if opts["dry_run"]:
            self.stdout.write(
                f"Sẽ {'dùng kỳ đã có' if plan.period else 'tạo kỳ mới'}, sao chép "
                f"{len(plan.memberships_to_copy)} lượt xếp khối, tạo {len(plan.to_create)} bản "
                f"đánh giá ({plan.existing} bản đã có). Chưa ghi gì (--dry-run)."
            )
            return
        try:
            result = round_open(**kwargs, user=command_user(opts["user"]))
        except DomainError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError("Không mở được kỳ đánh giá; không có gì được ghi.") from None
        summary = round_open_summary(result)
        self.stdout.write(summary if result.created_nothing else self.style.SUCCESS(summary))
