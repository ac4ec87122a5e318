# The two commands: `make run` serves the platform with demo data, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# `make test` runs the tests on every core (pytest-xdist), a whole file per worker process in
# its order (--dist loadfile: many tests rely on the order of their file; module fixtures such
# as gunicorn servers start once). Files go out in the order collected (--no-loadscope-reorder):
# the longest first (tests/conftest.py), where xdist would send the files with the most tests
# first and the page sweep (three tests, the longest) last. Each worker has its own test
# database and Redis database (tests/settings.py): at most 15 workers, Redis's default 16
# databases less the run's own. `make test PYTEST_WORKERS=0` runs them in this one process.
# Tests marked `serial` run afterwards in a fresh process of their own: the import's memory
# limit on a child process, whose outcome depends on what the parent process holds.
PYTEST_WORKERS ?= auto
BENCH_ARGS ?=
# Where `make run` serves; WhiteNoise serves the collected (hashed, compressed) static files,
# as in production, so the pages look the same as they will for users.
RUN_ADDR ?= 127.0.0.1:8000

# Every target here is development (run, tests, benchmark): the built-in SECRET_KEY is allowed.
# Production runs gunicorn and manage.py with its own SECRET_KEY and refuses to start without.
export RELESS_DEV ?= 1

# Installs come from the lock files, every version pinned and every file checked against its
# hash: requirements.lock (what runs the platform; the Dockerfile installs it) and
# requirements-dev.lock (the same pins, plus the tests' and the linter's). The project itself
# adds no package of its own (manage.py runs from this folder), so it goes in last without
# dependencies. pip comes first, at its locked version: the one a new virtualenv brings may be
# years older. A changed lock file reinstalls.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# `make lock` re-resolves both files from pyproject.toml, keeping every pin that still fits;
# `make lock LOCK_ARGS=--upgrade` moves all pins to the newest releases,
# `make lock LOCK_ARGS="--upgrade-package django"` one package. One resolution serves every
# platform (--universal) from Python 3.11, the Dockerfile's and this machine's.
LOCK_ARGS ?=
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet \
  --custom-compile-command "make lock"

.PHONY: run test install lint check messages migrate data worker bench clean backup restore faults lock

$(STAMP): $(LOCK) $(DEV_LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	awk '/^pip==/ { on = 1 } on { print } on && !/\\$$/ { exit }' $(DEV_LOCK) > $(VENV)/pip.lock
	$(PY) -m pip install -q --require-hashes -r $(VENV)/pip.lock
	$(PY) -m pip install -q --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_ARGS) -o $(LOCK)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -c $(LOCK) $(LOCK_FLAGS) $(LOCK_ARGS) \
	  -o $(DEV_LOCK)

messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

migrate: install messages
	$(PY) manage.py migrate --no-input -v 0

data: migrate
	$(PY) manage.py setup_platform --demo

run: data
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py print_demo_accounts
ifneq ($(REDIS_URL),)
	$(VENV)/bin/celery -A reless_platform worker -l warning --concurrency 2 -B -Q reless,exports & \
	  trap 'kill %1' EXIT; $(PY) manage.py runserver $(RUN_ADDR)
else
	$(PY) manage.py runserver $(RUN_ADDR)
endif

test: install messages
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run -v 1
	$(PY) manage.py check
	$(PY) manage.py collectstatic --no-input -v 0
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --maxprocesses 15 --dist loadfile \
	  --no-loadscope-reorder -m "not serial" $(PYTEST_ARGS)
	$(VENV)/bin/pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]  # 5: none selected

lint: install
	$(VENV)/bin/ruff check .

# The targets P1-P8 on PostgreSQL (DATABASE_URL, REDIS_URL) with the national dataset, generated
# when missing; e.g. `make bench BENCH_ARGS="--only P1,P4 --duration 10"`. See docs/performance.md.
bench: install messages
	$(PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3

# Backups (PostgreSQL): `make backup` writes backups/reless-<time>.dump;
# `make restore FILE=backups/....dump` replaces every table with the dump's.
backup: install
	$(PY) manage.py backup_db

restore: install
	$(PY) manage.py restore_db $(FILE)

# Fault scenarios: they stop and restart PostgreSQL and Redis (run by .ci/run after the tests).
faults: install messages
	RELESS_FAULTS=1 $(VENV)/bin/pytest tests/faults -p no:randomly -v
