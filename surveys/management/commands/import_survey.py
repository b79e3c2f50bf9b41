"""manage.py import_survey --survey CODE FILE [--dry-run]: an answers file, checked whole, then
written at once (or nothing), with progress."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.numbers import fmt_count
from surveys.importing import import_answers
from surveys.selectors import survey_by_code


class Command(BaseCommand):
    help = "Nhập phiếu trả lời khảo sát (CSV/XLSX, mỗi dòng một người trả lời)."

    def add_arguments(self, parser):
        parser.add_argument("--survey", required=True, help="mã cuộc điều tra")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")

    def handle(self, *args, survey, file, dry_run, **options):
        found = survey_by_code(survey)
        if found is None:
            raise CommandError(_("Không có cuộc điều tra mã “%(code)s”.") % {"code": survey})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("Không tìm thấy tệp %(file)s.") % {"file": file})

        def progress(percent: int, message: str) -> None:
            self.stdout.write(f"[{percent:3d}%] {message}")

        outcome = import_answers(
            survey=found,
            data=path.read_bytes(),
            filename=path.name,
            dry_run=dry_run,
            progress=progress if options.get("verbosity", 1) >= 1 else (lambda p, m: None),
        )
        if outcome.status == "invalid":
            for error in outcome.errors:
                self.stderr.write(error)
            raise CommandError(_("Tệp có %(n)s lỗi: không ghi gì.") % {"n": outcome.error_count})
        messages = {
            "checked": _("Tệp hợp lệ: %(rows)s phiếu (chưa ghi, --dry-run)."),
            "unchanged": _("Tệp này đã được nhập: không có gì thay đổi."),
            "applied": _("Đã nhập %(rows)s phiếu."),
        }
        self.stdout.write(messages[outcome.status] % {"rows": fmt_count(outcome.rows)})
