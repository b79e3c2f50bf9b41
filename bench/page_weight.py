"""Bytes a browser downloads for the ranking dashboard, cold (empty cache), as leadership.

    DATABASE_URL=... .venv/bin/python bench/page_weight.py

The database named by DATABASE_URL must hold the demo (`manage.py load_demo`; default: the demo's
SQLite beside manage.py). The script collects the static files as production does (whitenoise's
CompressedManifestStaticFilesStorage: hashed names, .br and .gz beside each file) into a temporary
STATIC_ROOT, serves the app with the production settings on 127.0.0.1 (plain HTTP, no redirect),
logs in with Debian's chromium, then opens the ranking page in a fresh context twice: as a browser
asks (brotli/gzip accepted) and with `Accept-Encoding: identity`. It prints every response (bytes on
the wire, bytes decoded, encoding, Cache-Control) and, on the last line, one JSON object:
{"compressed": {"requests": n, "bytes_on_wire": n, "bytes_decoded": n}, "identity": {...}}
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/bao-cao/xep-hang/?period=2024&group=khoi-so"
USER, PASSWORD = "lanhdao", "lanhdao@2024"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _measure(base: str) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "/dang-nhap/")
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_load_state()
        state = context.storage_state()
        context.close()
        for label, headers in [("compressed", {}), ("identity", {"Accept-Encoding": "identity"})]:
            # A new context has an empty HTTP cache: the page is loaded cold.
            context = browser.new_context(storage_state=state, extra_http_headers=headers)
            page = context.new_page()
            finished = []
            page.on("requestfinished", lambda request, seen=finished: seen.append(request))
            page.goto(base + PATH)
            page.wait_for_selector("[data-drawn=true]")
            wire = decoded = 0
            for request in finished:
                response = request.response()
                on_wire = request.sizes()["responseBodySize"]
                body = len(response.body())
                wire, decoded = wire + on_wire, decoded + body
                print(
                    f"{label:10} {on_wire:>9} {body:>9} "
                    f"{response.headers.get('content-encoding', '-'):4} "
                    f"{response.headers.get('cache-control', '-')[:36]:36} "
                    f"{request.url.removeprefix(base)[:70]}"
                )
            out[label] = {
                "requests": len(finished),
                "bytes_on_wire": wire,
                "bytes_decoded": decoded,
            }
            context.close()
        browser.close()
    return out


def main() -> None:
    port = _free_port()
    with tempfile.TemporaryDirectory() as static_root:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "page-weight-bench-only"),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": static_root,
            "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'db.sqlite3'}"),
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True)
        server = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.3)
            result = _measure(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
