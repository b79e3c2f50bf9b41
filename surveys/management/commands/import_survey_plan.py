"""python manage.py import_survey_plan --survey CODE FILE

Each unit's sample plan: the population N (dossiers or residents) and, optionally, the quota of
answer sheets (blank: n = N / (1 + N·e²)). All or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.definitions import plans_import
from surveys.selectors import survey_by_code


class Command(BaseCommand):
    help = "Nhập kế hoạch mẫu: mã đơn vị, số hồ sơ / số dân (N), số phiếu giao (không bắt buộc)."

    def add_arguments(self, parser):
        parser.add_argument("--survey", required=True, help="mã cuộc điều tra")
        parser.add_argument("file")

    def handle(self, *args, survey, file, **options):
        found = survey_by_code(survey)
        if found is None:
            raise CommandError(f"Không có cuộc điều tra mã “{survey}”.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        problems = plans_import(survey=found, data=path.read_bytes(), filename=path.name)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} lỗi; không có gì được ghi.")
        self.stdout.write(f"Đã ghi kế hoạch mẫu của {found.plans.count()} đơn vị.")
