# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run stop test test-fast lint content simulate bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m samen_sms.devtools.devrun

stop: install
	$(PY) -m samen_sms.devtools.devrun stop

# Every test, in parallel: most of them wait on Redis, the Twilio stand-in or processes, so more
# workers than cores (each has its own Redis and stand-in); 6 took as long as 4.
# worksteal: the system tests, started first, take 5-20 s each and are shared out as workers free up.
# TEST_WORKERS=0 runs them one by one.
TEST_WORKERS ?= 4
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

# The pure tier alone (no Redis, no network, no processes): the engine and the content, in seconds.
test-fast: install
	$(PY) -m pytest -m pure -q -n 2

# ruff, mypy, and the rooms' import contracts (pyproject.toml, [tool.importlinter]).
lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# Stale directory entries (exit 1 if any), the SMS segments every screen costs per language, and
# the languages table: entries translated, reviewed and stale per language (docs/languages.md).
content: install
	$(PY) -m samen_sms.authoring.directory check
	$(PY) -m samen_sms.authoring.segments --screens-only
	$(PY) -m samen_sms.authoring.review

simulate: install
	$(PY) -m samen_sms.devtools.simulate

bench: install
	$(PY) bench/wrk_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
