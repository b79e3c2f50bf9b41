"""What a fresh machine or container needs, held to the one list deploy/debian-packages.txt; the
Makefile, the Dockerfile and docker-compose.yml read as files (no Docker engine runs the tests).

The packages are found the way the app meets them: the shared libraries WeasyPrint really loads
(/proc/self/maps of a process that imported it), the font the PDF's stylesheet names, pg_dump and
chromium on the PATH, each traced to its Debian package with `dpkg -S`.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import resolve

ROOT = Path(settings.BASE_DIR)
LIST = ROOT / "deploy" / "debian-packages.txt"
SCRIPT = ROOT / "deploy" / "debian-packages.sh"
# The libraries weasyprint/text/ffi.py opens with dlopen (harfbuzz-vector is optional there).
WEASYPRINT_LIBRARIES = [
    "libgobject-2.0.so",
    "libpango-1.0.so",
    "libpangoft2-1.0.so",
    "libharfbuzz.so",
    "libharfbuzz-subset.so",
    "libfontconfig.so",
]


def sections() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = None
    for line in LIST.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            current = found.setdefault(line.strip("[]"), [])
        elif line:
            assert current is not None, f"{line} is outside any section"
            current.append(line)
    return found


def owner(path: str) -> str:
    """The Debian package that installed `path` (its real file, symbolic links followed)."""
    real = os.path.realpath(path)
    done = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True, check=True)
    return done.stdout.split(":", 1)[0].strip()


def without_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_the_script_prints_the_sections_of_the_list():
    listed = sections()
    assert set(listed) == {"runtime", "test"}
    for name, packages in listed.items():
        out = subprocess.run(["sh", SCRIPT, name], capture_output=True, text=True, check=True)
        assert out.stdout.split() == packages
    # Everything is installed on the machine that runs the tests: --missing has nothing to say.
    out = subprocess.run(
        ["sh", SCRIPT, "--missing", "runtime", "test"], capture_output=True, text=True, check=True
    )
    assert out.stdout == ""


def test_every_library_weasyprint_loads_comes_from_a_listed_package():
    maps = subprocess.run(
        [sys.executable, "-c", "import weasyprint; print(open('/proc/self/maps').read())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded = {line.split()[-1] for line in maps.splitlines() if ".so" in line}
    runtime = sections()["runtime"]
    for library in WEASYPRINT_LIBRARIES:
        paths = [p for p in loaded if Path(p).name.startswith(library)]
        assert paths, f"WeasyPrint did not load {library}"
        assert owner(paths[0]) in runtime, (library, owner(paths[0]))


def test_the_pdf_font_writes_vietnamese_and_comes_from_a_listed_package():
    css = (ROOT / "templates" / "reports" / "pdf" / "report.css").read_text(encoding="utf-8")
    family = re.search(r'font-family:\s*"([^"]+)"', css).group(1)
    assert family == "DejaVu Sans"
    files = subprocess.run(
        ["fc-list", f"{family}:lang=vi", "file"], capture_output=True, text=True, check=True
    ).stdout.split()
    files = [f.rstrip(":") for f in files]
    assert files, f"no {family} font covering Vietnamese"
    assert {owner(f) for f in files} & set(sections()["runtime"])


def test_pg_dump_is_the_listed_client_of_the_composed_server():
    version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True)
    major = re.search(r"\) (\d+)", version.stdout).group(1)
    package = f"postgresql-client-{major}"
    assert package in sections()["runtime"]
    assert owner(f"/usr/lib/postgresql/{major}/bin/pg_dump") == package
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["postgres"]["image"] == f"postgres:{major}"


def test_chromium_of_the_browser_tests_is_in_the_test_section():
    chromium = shutil.which("chromium")
    assert chromium, "the browser tests need chromium (make chromium)"
    assert owner(chromium) in sections()["test"]


def test_the_makefile_installs_from_the_list_and_names_no_package():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PACKAGES := deploy/debian-packages.sh" in makefile
    assert re.search(r"^apt_install = missing=\$\$\(sh \$\(PACKAGES\) --missing", makefile, re.M)
    stamp = re.search(r"^\$\(STAMP\):(.*)\n\t(.*)", makefile, re.M)
    assert "deploy/debian-packages.txt" in stamp.group(1)
    assert stamp.group(2) == "$(call apt_install,runtime)"
    assert re.search(r"^chromium:\n\t\$\(call apt_install,test\)$", makefile, re.M)
    installing = [line for line in without_comments(makefile).splitlines() if "apt-get" in line]
    assert installing
    for package in itertools.chain(*sections().values()):
        for line in installing:
            assert not re.search(rf"(?<![\w.-]){re.escape(package)}(?![\w.-])", line), package


def test_the_dockerfile_installs_the_runtime_section_without_recommends():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    code = without_comments(dockerfile).replace("\\\n", " ")
    copy = code.index("COPY deploy/debian-packages.txt deploy/debian-packages.sh deploy/")
    install = re.search(
        r"RUN apt-get update\s+&& apt-get install -y --no-install-recommends "
        r"\$\(sh deploy/debian-packages\.sh runtime\)",
        code,
    )
    assert install and copy < install.start() < code.index("COPY . .")
    for package in itertools.chain(*sections().values()):
        assert package not in code, package


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _dockerfile_settings() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return re.search(r"DJANGO_SETTINGS_MODULE=(\S+)", dockerfile).group(1)


def test_web_worker_and_beat_run_the_production_settings_and_check_their_health():
    services = _compose()["services"]
    assert _dockerfile_settings() == "config.settings.production"
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["build"] == "."
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == _dockerfile_settings()
        assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["web"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "deploy/healthcheck.py",
        "web",
    ]
    assert services["beat"]["healthcheck"]["test"][-2:] == ["deploy/healthcheck.py", "beat"]
    assert "inspect ping" in services["worker"]["healthcheck"]["test"][1]
    for name in ("worker", "beat"):  # after web's migrate
        assert services[name]["depends_on"]["web"] == {"condition": "service_healthy"}
    healthcheck = _healthcheck()
    assert f"--schedule={healthcheck.BEAT_SCHEDULE}" in services["beat"]["command"]
    assert healthcheck.HEALTH_URL.endswith("/health/")
    assert resolve("/health/").func.__module__ == "core.health"


def _healthcheck():
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("cchc.example.gov.vn,localhost", "cchc.example.gov.vn"),
        (".example.gov.vn", "example.gov.vn"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_the_web_check_sends_a_host_that_allowed_hosts_accepts(client, db, settings, allowed, host):
    settings.ALLOWED_HOSTS = [h for h in allowed.split(",") if h] or ["localhost"]
    assert _healthcheck().host_for(allowed) == host
    assert client.get("/health/", HTTP_HOST=host).status_code == 200


def test_a_production_host_list_refuses_the_bare_localhost_the_old_check_sent(client, db, settings):
    settings.ALLOWED_HOSTS = ["cchc.example.gov.vn"]
    assert client.get("/health/", HTTP_HOST="localhost:8000").status_code == 400


def test_the_beat_check_wants_a_schedule_written_lately(tmp_path):
    healthcheck = _healthcheck()
    schedule = str(tmp_path / "celerybeat-schedule")
    assert not healthcheck.beat_healthy(schedule)
    Path(schedule + ".db").write_bytes(b"")
    written = os.path.getmtime(schedule + ".db")
    assert healthcheck.beat_healthy(schedule, now=written + 60)
    assert not healthcheck.beat_healthy(schedule, now=written + healthcheck.BEAT_STALE_SECONDS + 1)


def test_check_deploy_passes_with_the_composed_environment():
    """The production settings with exactly what docker-compose.yml gives them (and a real key)."""
    composed = _compose()["services"]["web"]["environment"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    for key, value in composed.items():
        default = re.fullmatch(r"\$\{\w+:-(.*)\}", str(value))
        env[key] = default.group(1) if default else str(value)
    env["SECRET_KEY"] = "k3y-" + "x9Qz" * 15
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
