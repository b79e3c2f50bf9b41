"""`python manage.py import_framework FILE --year 2025 --kind department --name "..."`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.tabular import TableError, read_tables
from indicators.services import framework_import


class Command(BaseCommand):
    help = (
        "Nhập bộ chỉ số của một năm từ CSV hoặc .xlsx. Cột: code, name, parent_code, max_points, "
        "method, step, evidence_required, guidance, bands. Kiểm tra điểm tối đa trước khi ghi."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument(
            "--kind",
            required=True,
            help="Loại đơn vị, mã hoặc tên tiếng Việt (department, district, commune, province, "
            "tỉnh...; các loại đã có trong trang quản trị).",
        )
        parser.add_argument("--name", required=True, help="Tên bộ chỉ số.")
        parser.add_argument("--max-points", default="100", help="Thang điểm (mặc định 100).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Thay bộ chỉ số cùng năm và loại nếu chưa được dùng để chấm điểm.",
        )

    def handle(self, *args, file, year, kind, name, max_points, replace=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        try:
            sheets = read_tables(path.read_bytes(), path.name)
        except TableError as exc:
            raise CommandError(str(exc)) from None
        framework, problems = framework_import(
            year=year,
            unit_kind=kind,
            name=name,
            sheets=sheets,
            max_points=max_points,
            replace=replace,
        )
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} lỗi; không có gì được ghi.")
        n = framework.criteria.count()
        self.stdout.write(f"Đã tạo “{framework.name}” với {n} tiêu chí.")
