# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTEST_WORKERS ?= 2
# A fresh test database each run: a reused one could hide a changed migration.
PYTEST_ARGS ?= --create-db
IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)

.PHONY: help run test install messages lint lint-imports typecheck check-migrations check-messages pytest \
        run-deps test-deps clean bench load audit

help:
	@echo "make run    install, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test   install what the tests need and run every check and test"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: pyproject.toml uv.lock | $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

# Compiled catalogues for `make run` (pure Python, no gettext needed on a bare machine).
messages: install
	$(PY) scripts/compile_messages.py

run: install run-deps messages
	@mkdir -p var/media
	$(MANAGE) migrate --no-input
	$(MANAGE) demo_data
	@echo "Portal on http://127.0.0.1:$(PORT)/ (log in with a demo login above)"
	PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://127.0.0.1:$(PORT)} $(MANAGE) runserver 127.0.0.1:$(PORT)

# --- tests -----------------------------------------------------------------------------------

# System packages, installed from Debian when missing (as root): libmagic (file types),
# poppler (PDF thumbnails and OCR pages) and Tesseract with French, Dutch, German and English
# (recognition of scans and photos) to run; Chromium, gettext and ClamAV's clamd (the tests
# start their own with a test signature) as well to test.
APT_INSTALL = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

run-deps:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q 'libmagic.so.1' || missing="$$missing libmagic1"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr"; \
	for lang in fra nld deu eng; do \
	  [ -e /usr/share/tesseract-ocr/5/tessdata/$$lang.traineddata ] || missing="$$missing tesseract-ocr-$$lang"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$(IS_ROOT)" = yes ]; then \
	    echo "Installing:$$missing"; $(APT_INSTALL) $$missing >/dev/null; \
	  else echo "Missing system packages:$$missing (install them, or run as root)"; exit 1; fi; \
	fi

test-deps: run-deps
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	[ -x /usr/sbin/clamd ] || missing="$$missing clamav-daemon"; \
	if [ -n "$$missing" ]; then \
	  if [ "$(IS_ROOT)" = yes ]; then \
	    echo "Installing:$$missing"; \
	    $(APT_INSTALL) $$missing >/dev/null; \
	  else echo "Missing system packages:$$missing (install them, or run as root)"; exit 1; fi; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# The import contracts alone (.importlinter: the kernel imports no app; apps import downward).
lint-imports: install
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy core portal view users dossiers connect connect-sync/connect_sync

check-migrations: install
	DJANGO_SETTINGS_MODULE=portal.settings.test $(MANAGE) makemigrations --check --dry-run

# Compile with gettext's msgfmt (as production does), then fail on any untranslated or fuzzy
# entry, and on any marked string missing from the catalogues.
check-messages: install test-deps
	DJANGO_SETTINGS_MODULE=portal.settings.test $(MANAGE) compilemessages --ignore=.venv --ignore=.tools -v0
	$(PY) scripts/check_translations.py

# Every package of uv.lock (all groups) against the committed snapshot of the PyPA advisory
# database; fails on a known vulnerability (docs/operations.md, "Dependency audit").
audit: install
	$(PY) scripts/audit_lock.py

pytest: install test-deps
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: install test-deps audit lint typecheck check-migrations check-messages pytest

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (QUALITY.md, Performance): ratios from one run, on PostgreSQL.
bench: install run-deps
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) -m bench.run

# Load (docs/load.md): locust against gunicorn + PostgreSQL + Redis + a worker for LOAD_SECONDS
# (60), then every upload is checked: stored with its sha256 and processed.
load: install run-deps
	$(PY) -m bench.load.run
