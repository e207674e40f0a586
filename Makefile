# cms_mandates: the two commands are `make run` and `make test` (see README.md).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# The suite runs against the real services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cms_mandates
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	SECRET_KEY=test-only-secret-key DEBUG=false ALLOWED_HOSTS=localhost,127.0.0.1,testserver \
	SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false

# `make run` is the embedded default: DEBUG on, SQLite under var/ and in-process tasks
# unless DATABASE_URL / REDIS_URL are set.
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run test lint audit format lock bench bench-report clean backup restore messages

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

run: $(VENV)/.installed
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(PY) manage.py compile_translations --verbosity 0
	$(RUN_ENV) $(PY) manage.py load_seed
	$(RUN_ENV) $(PY) manage.py create_demo_accounts
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(MAKE) --no-print-directory audit
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Security checks of the code (bandit, configured in pyproject.toml) and of the pinned
# dependencies (pip-audit, which needs PyPI's vulnerability service: without network it
# says so and is skipped rather than failing the run).
audit: $(VENV)/.installed-dev
	$(PY) -m bandit -q -c pyproject.toml -r cms_mandates resolutions partners reporting
	PY=$(PY) .ci/audit-dependencies

format: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Collect the interface's strings into locale/{fr,es}/LC_MESSAGES/django.po after
# changing templates or code (needs GNU gettext: apt-get install gettext). `make run`,
# the test suite and the Docker image compile the catalogues themselves.
messages: $(VENV)/.installed
	DEBUG=true $(PY) manage.py makemessages --locale fr --locale es --no-obsolete \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'

# Re-pin every dependency from the ranges in pyproject.toml (needs network access).
lock:
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet --upgrade pip
	var/lock-venv/bin/pip install --quiet .
	var/lock-venv/bin/pip freeze --exclude cms-mandates > requirements.lock
	var/lock-venv/bin/pip install --quiet ".[dev]"
	var/lock-venv/bin/pip freeze --exclude cms-mandates | grep -vxF -f requirements.lock > requirements-dev.lock
	rm -rf var/lock-venv

# Not part of `make test`: minutes of load on PostgreSQL (see BENCHMARKS.md).
# BENCH_SCALE=quick for a short smoke run on a small data set.
bench: $(VENV)/.installed-dev
	$(PY) bench/run.py $(BENCH_ARGS)

# A COP report compiled at `cms` scale and at twice it: seconds, peak memory, the ratio.
bench-report: $(VENV)/.installed-dev
	$(PY) bench/report.py $(BENCH_REPORT_ARGS)

# Backups: `make backup` writes var/backups/<UTC time>/ (pg_dump -Fc, or a copy of the
# SQLite file, plus a tar of MEDIA_ROOT and a manifest of row counts and checksums);
# `make restore BACKUP=var/backups/<time>` puts it back over DATABASE_URL and MEDIA_ROOT.
backup: $(VENV)/.installed
	$(PY) manage.py backup

restore: $(VENV)/.installed
	@test -n "$(BACKUP)" || { echo "Usage: make restore BACKUP=var/backups/<time>"; exit 2; }
	$(PY) manage.py restore "$(BACKUP)"

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .ruff_cache
