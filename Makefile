# The two set-up commands are `make run` (demo) and `make test` (whole suite); both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install chromium run test lint format messages vendor bench-recompute bench-dashboards bench-surveys bench-load screenshots clean

# The Debian packages come from one list, deploy/debian-packages.txt (the Dockerfile reads it too):
# its [runtime] section here (WeasyPrint's libraries and font, pg_dump), [test] for `chromium`.
# Only what dpkg does not have is installed, so a machine that has it all pays one dpkg-query.
PACKAGES := deploy/debian-packages.sh
apt_install = missing=$$(sh $(PACKAGES) --missing $(1)); test -z "$$missing" \
	|| apt-get install -y -qq $$missing || (apt-get update -qq && apt-get install -y -qq $$missing)

$(STAMP): pyproject.toml deploy/debian-packages.txt
	$(call apt_install,runtime)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo: SQLite beside manage.py, Celery tasks run eagerly, demo data loaded once.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Debian's chromium for the browser tests and the screenshots (never a downloaded browser).
chromium:
	$(call apt_install,test)

# The whole suite, on PostgreSQL at 127.0.0.1:5432 (CI=true makes an unreachable one an error);
# tests/test_browser.py drives chromium. Then the engine's property test again on SQLite (the demo's
# database), where the recompute takes its other SQL branches, and the demo loaded on SQLite as
# `make run` loads it.
test: install chromium
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/pytest
	DATABASE_URL=sqlite:///$(CURDIR)/test.sqlite3 $(BIN)/pytest tests/test_engine_property.py \
		tests/test_demo.py::test_the_demo_is_a_plausible_province -p no:cacheprovider -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the English catalogue after changing user-facing strings (Vietnamese is the source
# language: the msgids are Vietnamese, so there is no vi catalogue), then translate and compile.
messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=static/vendor --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

# plotly.js as a partial bundle: the published `plotly.js-cartesian-dist-min` (bar, heatmap, scatter
# and the other 2-D traces reports/charts.py may use; 1.4 MB instead of the full 4.85 MB), fetched
# from the npm registry with `npm pack` (checksum verified by npm) at exactly the plotly.js version
# the installed plotly wheel writes figures for. Then plotly.css is regenerated from it for the CSP.
vendor: install
	version=$$($(BIN)/python -c "from plotly.offline import get_plotlyjs_version as v; print(v())") \
	&& tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent plotly.js-cartesian-dist-min@$$version >/dev/null \
		&& tar xzf plotly.js-cartesian-dist-min-$$version.tgz) \
	&& cp $$tmp/package/plotly-cartesian.min.js $$tmp/package/LICENSE static/vendor/plotly/ && rm -rf $$tmp
	$(BIN)/python manage.py plotly_css

# Dashboards at national scale (PostgreSQL): median and p95 server time of every page and export.
bench-dashboards: install
	$(BIN)/python bench/dashboards.py

# A PNG of every dashboard for every role, in headless chromium at 1366x768, into screenshots/.
SHOTS_DB := $(CURDIR)/screenshots/demo.sqlite3
screenshots: install chromium
	mkdir -p screenshots
	DATABASE_URL=sqlite:///$(SHOTS_DB) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=sqlite:///$(SHOTS_DB) $(BIN)/python manage.py load_demo
	DATABASE_URL=sqlite:///$(SHOTS_DB) $(BIN)/python manage.py screenshots

# The recompute benchmark at national scale (10,000 units × 100 criteria) on PostgreSQL; see README.
bench-recompute: install
	$(BIN)/python bench/recompute.py

clean:
	rm -rf $(VENV) db.sqlite3 test.sqlite3 staticfiles .test-media .pytest_cache

# The score import benchmark: 200,000 rows checked and applied at national scale on PostgreSQL.
bench-import: install
	$(BIN)/python bench/import_scores.py

# The survey import benchmark: 1,000,000 SIPAS answer sheets imported and aggregated on PostgreSQL.
bench-surveys: install
	$(BIN)/python bench/survey_import.py

# The load test: gunicorn (2 workers) and a Celery worker on the loopback, 50 users for 600 s against
# 10,000 units; errors, p95 per page kind, lost writes. REDIS_URL names the cache and broker.
bench-load: install
	$(BIN)/python bench/load.py
