from django.core.management.base import BaseCommand

from demo.loader import demo_loaded, load_demo


class Command(BaseCommand):
    help = "Tạo dữ liệu minh họa: một tỉnh, bộ chỉ số, ba năm chấm điểm và một người dùng cho mỗi vai trò."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2024)

    def handle(self, *args, seed: int, **options):
        if demo_loaded():
            self.stdout.write("Dữ liệu đã có sẵn, không tạo lại.")
            return
        load_demo(seed=seed, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Đã tạo dữ liệu minh họa."))
