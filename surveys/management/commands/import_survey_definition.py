"""python manage.py import_survey_definition FILE --year 2024 --kind sipas --name "..." [options]

A new survey from a definition file (CSV or .xlsx, one row per question; see README "Survey files"),
with its settings as options. All or nothing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.definitions import survey_define
from surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Tạo một cuộc điều tra từ tệp định nghĩa (CSV/XLSX): cột mã yếu tố, yếu tố, mã câu hỏi, "
        "câu hỏi, tiêu chí, tính vào chỉ số."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--kind", required=True, choices=[k.value for k in Survey.Kind])
        parser.add_argument("--name", required=True)
        parser.add_argument("--code", default="", help="mã (mặc định: loại-năm)")
        parser.add_argument("--scale", type=int, default=5, help="số mức trả lời (mặc định 5)")
        parser.add_argument(
            "--favourable-from", type=int, default=4, help="hài lòng từ mức (mặc định 4)"
        )
        parser.add_argument("--formula", default="share", choices=[f.value for f in Survey.Formula])
        parser.add_argument(
            "--weights", default="", help="trọng số % từng mức, mức 1 trước: 0,20,60,100"
        )
        parser.add_argument("--margin", default="0.05", help="sai số cho phép (mặc định 0.05)")
        parser.add_argument("--criterion", default="", help="tiêu chí do chỉ số chung chấm")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        try:
            weights = [float(w) for w in opts["weights"].split(",") if w.strip()]
            margin = Decimal(opts["margin"])
        except (ValueError, InvalidOperation):
            raise CommandError("--weights và --margin phải là số.") from None
        survey, problems = survey_define(
            data=path.read_bytes(),
            filename=path.name,
            year=opts["year"],
            kind=opts["kind"],
            name=opts["name"],
            code=opts["code"],
            scale_max=opts["scale"],
            favourable_from=opts["favourable_from"],
            formula=opts["formula"],
            weights=weights,
            margin=margin,
            criterion_code=opts["criterion"],
        )
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} lỗi; không có gì được ghi.")
        self.stdout.write(
            f"Đã tạo “{survey.name}” (mã {survey.code}): {survey.elements.count()} yếu tố, "
            f"{survey.questions.count()} câu hỏi."
        )
