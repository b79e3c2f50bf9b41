"""`manage.py backup [--output DIR_OR_FILE]`: the database and the evidence files in one archive
(core.backup); see the README's "Sao lưu và phục hồi" section."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Sao lưu cơ sở dữ liệu (pg_dump) và các tệp kiểm chứng vào một tệp lưu trữ."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="Thư mục (nhận tên có ngày giờ) hoặc tên tệp; mặc định BACKUP_DIR.",
        )

    def handle(self, *args, output: Path | None, **options):
        try:
            result = backup_create(output=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Đã sao lưu vào %(path)s (%(size)s byte, %(count)s tệp kiểm chứng).")
            % {"path": result.path, "size": result.size, "count": result.media_files}
        )
