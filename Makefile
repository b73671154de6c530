# Bokji Atlas — two commands do all set-up on a fresh machine:
#   make run    create .venv, build the demo world on first run, serve http://127.0.0.1:8050 (gunicorn)
#   make test   install PostGIS + Chromium if missing, run every test on a throwaway cluster
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
APT_STAMP := /var/tmp/.bokji-atlas-apt

.PHONY: run test lint venv system-deps demo clean bench vendor

# Front-end files fetched from the npm registry at set-up (not committed; see the accessibility section of docs/benchmarks.md):
# axe-core for the accessibility tests, and KRDS's Pretendard GOV font (krds-uiux, ISC; the font
# itself is SIL OFL 1.1) served from app/assets/fonts. `npm pack` needs no node_modules.
VENDOR := build/vendor
AXE_VERSION := 4.14.1
KRDS_VERSION := 1.1.0
FONT_DIR := app/assets/fonts
AXE_JS := $(VENDOR)/axe.min.js
FONT_STAMP := $(FONT_DIR)/.krds-$(KRDS_VERSION)

$(AXE_JS):
	mkdir -p $(VENDOR)
	cd $(VENDOR) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && tar -xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js package/LICENSE \
	  && mv package/axe.min.js axe.min.js && mv package/LICENSE axe-core.LICENSE \
	  && rm -rf package axe-core-$(AXE_VERSION).tgz

$(FONT_STAMP):
	mkdir -p $(VENDOR) $(FONT_DIR)
	cd $(VENDOR) && npm pack --silent krds-uiux@$(KRDS_VERSION) >/dev/null \
	  && tar -xzf krds-uiux-$(KRDS_VERSION).tgz --wildcards 'package/resources/fonts/*.woff2' package/package.json \
	  && cp package/resources/fonts/*.woff2 $(CURDIR)/$(FONT_DIR)/ \
	  && rm -rf package krds-uiux-$(KRDS_VERSION).tgz
	touch $@

vendor: $(AXE_JS) $(FONT_STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# gunicorn (gunicorn.conf.py: 2 workers x 4 threads, app preloaded and warmed once in the master).
# Development server with reload-free Flask: $(PY) -m app
run: $(STAMP) $(FONT_STAMP)
	$(VENV)/bin/atlas demo
	$(VENV)/bin/gunicorn -c gunicorn.conf.py

demo: $(STAMP)
	$(VENV)/bin/atlas demo

# System packages for the tests: PostGIS for the contract tests, Chromium for the browser tests.
system-deps:
	@if [ ! -f /usr/share/postgresql/15/extension/postgis.control ] || ! command -v chromedriver >/dev/null \
	   || [ ! -d /usr/share/fonts/opentype/noto ]; then \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q \
	    postgresql-15 postgresql-15-postgis-3 chromium chromium-driver fonts-noto-cjk; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check app etl services models spatial eligibility domain geodata tests benchmarks
	$(VENV)/bin/lint-imports

test: $(STAMP) system-deps lint vendor
	@set -o pipefail; url=$$(.ci/pg-cluster start) || exit 1; \
	trap '.ci/pg-cluster stop' EXIT; \
	ATLAS_TEST_DATABASE_URL=$$url ATLAS_REQUIRE_POSTGIS=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@url=$$(.ci/pg-cluster start) || exit 1; trap '.ci/pg-cluster stop' EXIT; \
	for b in benchmarks/bench_*.py; do echo "== $$b"; ATLAS_TEST_DATABASE_URL=$$url $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache tests/artifacts $(VENDOR) $(FONT_DIR)
