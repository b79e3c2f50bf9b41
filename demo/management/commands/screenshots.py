"""Screenshots of every dashboard for every role, so a person can look at them (`make screenshots`).

Starts the demo server on the current database (migrated, demo loaded), logs in as each role through
the log-in form with Playwright driving Debian's chromium at 1366×768, and saves one PNG per page to
screenshots/. Fails when a chart does not draw or the browser reports an error (a CSP violation
included), so it doubles as a check that Plotly works under the strict content security policy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from units.models import Unit

ROLES = [
    ("lanhdao", "lanhdao@2024", "lanh-dao"),
    ("canbo.snv", "canbo@2024", "can-bo"),
    ("thutruong.stp", "thutruong@2024", "thu-truong"),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pages_for(username: str) -> list[tuple[str, str]]:
    merged = Unit.objects.filter(code="so-tai-chinh-2024").values_list("pk", flat=True).first()
    own = Unit.objects.filter(heads__user__username=username).values_list("pk", flat=True).first()
    unit_id = own or merged
    pages = [
        ("trang-chu", "/"),
        ("xep-hang", "/bao-cao/xep-hang/?period=2024&group=khoi-so"),
        ("xep-hang-2023-huyen", "/bao-cao/xep-hang/?period=2023&group=khoi-huyen"),
        ("chi-so-thanh-phan", "/bao-cao/chi-so-thanh-phan/?period=2024&group=khoi-so"),
        ("tru-diem", "/bao-cao/tru-diem/?period=2024&group=khoi-so"),
        ("tru-diem-chi-tiet", "/bao-cao/tru-diem/?period=2023&group=khoi-so&criterion=3.2.1"),
        # A unit head climbs past published results only: last year's round for them.
        (
            "nang-hang",
            f"/bao-cao/nang-hang/?period={2023 if own else 2024}&group=khoi-so&unit={unit_id}",
        ),
        ("so-sanh", "/bao-cao/so-sanh/?period=2024&group=khoi-so"),
        ("don-vi", f"/bao-cao/don-vi/{unit_id}/?period=2024"),
    ]
    return pages


class Command(BaseCommand):
    help = "Chụp ảnh màn hình các trang báo cáo cho từng vai trò (Chromium, 1366×768)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "screenshots"))

    def handle(self, *args, port: int, out: str, **options):
        from playwright.sync_api import sync_playwright

        chromium = shutil.which("chromium")
        if chromium is None:
            raise CommandError("Không thấy chromium: apt-get install -y chromium")
        if not Unit.objects.exists():
            raise CommandError("Cơ sở dữ liệu chưa có dữ liệu minh họa: chạy load_demo trước.")
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DEBUG": "true"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        problems: list[str] = []
        # Database reads before Playwright starts: its sync API runs an event loop.
        pages = {username: pages_for(username) for username, _p, _s in ROLES}
        try:
            self._wait(base)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for username, password, slug in ROLES:
                    problems += self._role(
                        browser, base, username, password, slug, out_dir, pages[username]
                    )
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
        # Known and harmless: plotly.min.js injects maplibre's map CSS at load and sets a style
        # attribute or two on heatmaps; the CSP refuses them and the charts still draw (checked
        # above). Printed, not fatal; anything else is.
        csp = [p for p in problems if "Content Security Policy" in p]
        problems = [p for p in problems if p not in csp]
        for report in sorted({c.split(": error: ", 1)[-1][:160] for c in csp}):
            self.stdout.write(self.style.WARNING(f"CSP (đã chặn, không ảnh hưởng): {report}"))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} vấn đề khi chụp ảnh màn hình.")
        self.stdout.write(self.style.SUCCESS(f"Đã lưu ảnh vào {out_dir}"))

    def _wait(self, base: str) -> None:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/dang-nhap/", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError("Máy chủ minh họa không khởi động được.")

    def _role(self, browser, base, username, password, slug, out_dir, pages) -> list[str]:
        problems: list[str] = []
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page = context.new_page()
        page.on(
            "console",
            lambda msg: (
                problems.append(f"{username} {page.url}: {msg.type}: {msg.text}")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                problems.append(f"{username} {r.url}: HTTP {r.status}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(f"{username} {page.url}: {exc}"))
        page.goto(base + "/dang-nhap/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_load_state("networkidle")
        if "/dang-nhap/" in page.url:
            return [*problems, f"{username}: đăng nhập không thành công"]
        for name, path in pages:
            response = page.goto(base + path)
            if response is None or response.status != 200:
                problems.append(f"{username} {path}: HTTP {response.status if response else '?'}")
                continue
            charts = page.locator("[data-figure]")
            for i in range(charts.count()):
                try:
                    charts.nth(i).locator(".main-svg").first.wait_for(timeout=10000)
                except Exception:  # reported below, not raised
                    problems.append(f"{username} {path}: biểu đồ {i + 1} không vẽ được")
            page.wait_for_timeout(300)
            target = out_dir / f"{slug}-{name}.png"
            page.screenshot(path=str(target), full_page=True)
            self.stdout.write(f"{target.name}")
        context.close()
        return problems
