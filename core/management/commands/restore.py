"""`manage.py restore ARCHIVE [--database-url URL] [--force]`: an archive of `manage.py backup`
back into an empty database and the media directory (core.backup)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Phục hồi một bản sao lưu vào cơ sở dữ liệu trống và thư mục tệp kiểm chứng."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="Tệp do lệnh backup tạo ra.")
        parser.add_argument(
            "--database-url",
            help="Cơ sở dữ liệu đích (postgres://…); mặc định là cơ sở dữ liệu của ứng dụng.",
        )
        parser.add_argument(
            "--media-root", type=Path, help="Thư mục tệp kiểm chứng đích; mặc định MEDIA_ROOT."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Xóa hết dữ liệu đang có trong cơ sở dữ liệu đích và ghi đè các tệp khác biệt.",
        )

    def handle(self, *args, archive: Path, database_url, media_root, force: bool, **options):
        try:
            result = backup_restore(
                archive=archive, database_url=database_url, media_root=media_root, force=force
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Đã phục hồi cơ sở dữ liệu %(name)s và %(count)s tệp vào %(root)s.")
            % {"name": result.database, "count": result.media_files, "root": result.media_root}
        )
        if result.unknown_migrations:
            self.stderr.write(
                _(
                    "Cảnh báo: bản sao lưu có migration mà mã nguồn này không có (%(names)s); hãy "
                    "chạy đúng phiên bản mã đã tạo bản sao lưu."
                )
                % {"names": ", ".join(result.unknown_migrations)}
            )
        if result.pending_migrations:
            self.stdout.write(
                _("Bản sao lưu cũ hơn mã nguồn: hãy chạy manage.py migrate (%(count)s migration).")
                % {"count": len(result.pending_migrations)}
            )
