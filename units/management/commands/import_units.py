"""`python manage.py import_units FILE`: create or update units from a CSV or .xlsx file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.tabular import TableError, read_tables
from units.importing import units_import


class Command(BaseCommand):
    help = (
        "Nhập danh sách đơn vị (CSV hoặc .xlsx). Cột: code, name, kind, parent_code, "
        "active_from_year, active_to_year, predecessors, group_code, group_name, group_year. "
        "Một đơn vị có thể có nhiều dòng, mỗi dòng một năm xếp khối."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi.")

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        try:
            sheets = read_tables(path.read_bytes(), path.name)
        except TableError as exc:
            raise CommandError(str(exc)) from None
        result = units_import(sheets=sheets, dry_run=dry_run)
        if result.errors:
            for problem in result.errors:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(result.errors)} lỗi; không có gì được ghi.")
        if dry_run:
            self.stdout.write("Tệp hợp lệ; chưa ghi gì (--dry-run).")
            return
        self.stdout.write(
            f"Đã tạo {result.created} đơn vị, cập nhật {result.updated}, "
            f"ghi {result.memberships} lượt xếp khối."
        )
