"""List, or remove with --delete, evidence files that no Evidence row names (left by uploads whose
transaction rolled back). Celery beat runs the removal nightly."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from scoring.services.evidence_orphans import evidence_orphans_remove


class Command(BaseCommand):
    help = "Tệp kiểm chứng không còn bản ghi nào trỏ tới: liệt kê, hoặc xóa với --delete."

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="Xóa các tệp tìm thấy.")
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=60,
            help="Chỉ tính các tệp cũ hơn số phút này (mặc định 60).",
        )

    def handle(self, *args, delete: bool, min_age_minutes: int, **options):
        found = evidence_orphans_remove(
            min_age=timedelta(minutes=max(0, min_age_minutes)), dry_run=not delete
        )
        for path in found:
            self.stdout.write(path)
        verb = "Đã xóa" if delete else "Tìm thấy"
        self.stdout.write(f"{verb} {len(found)} tệp không còn bản ghi.")
