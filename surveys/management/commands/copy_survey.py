"""python manage.py copy_survey --survey CODE --year 2025

Copies a survey's definition (settings, elements, questions, the criteria they feed, sample plans)
to a new survey of another year, without answers, linked to the one it continues."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from surveys.selectors import survey_by_code
from surveys.services import survey_copy_forward


class Command(BaseCommand):
    help = "Sao chép định nghĩa một cuộc điều tra (câu hỏi, tiêu chí, kế hoạch mẫu) sang năm khác."

    def add_arguments(self, parser):
        parser.add_argument("--survey", required=True, help="mã cuộc điều tra nguồn")
        parser.add_argument("--year", type=int, required=True, help="năm đích")

    def handle(self, *args, survey, year, **options):
        source = survey_by_code(survey)
        if source is None:
            raise CommandError(f"Không có cuộc điều tra mã “{survey}”.")
        if source.year == year:
            raise CommandError("Năm đích phải khác năm của cuộc điều tra nguồn.")
        copy = survey_copy_forward(survey=source, year=year)
        self.stdout.write(
            f"Đã sao chép “{source.name}” thành “{copy.name}” (mã {copy.code}): "
            f"{copy.questions.count()} câu hỏi, {copy.plans.count()} kế hoạch mẫu."
        )
