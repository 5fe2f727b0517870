# hailong: `make run` to try it, `make test` before every push.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install dev lint fuzz bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

# The demo signs its public log with a key of its own, made once (docs/transparency.md).
LOG_KEY ?= var/log.key
run: install
	$(BIN)/hailong migrate
	$(BIN)/hailong demo --if-empty
	mkdir -p $(dir $(LOG_KEY))
	test -f $(LOG_KEY) || $(BIN)/hailong log keygen --origin 127.0.0.1:8000/log -o $(LOG_KEY)
	HAILONG_LOG_KEY_FILE=$${HAILONG_LOG_KEY_FILE:-$(LOG_KEY)} $(BIN)/hailong serve

# ruff, mypy strict, and the import contracts in pyproject.toml (docs/architecture.md). The
# benchmarks are type-checked too: no test runs them, and one stopped at its first ballot
# when a function it called was renamed.
lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app bench
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# The OpenAPI fuzzing that `make test` runs briefly, for longer (no operation may answer 5xx).
fuzz: dev
	HAILONG_FUZZ_EXAMPLES=$${EXAMPLES:-300} $(BIN)/pytest tests/test_openapi_fuzz.py

bench: dev
	$(BIN)/python bench/submit.py

clean:
	rm -rf $(VENV) var/*.db var/*.db-* .mypy_cache .ruff_cache .pytest_cache

# The screenshots in docs/, from a fresh demo in Debian's Chromium (apt-get install chromium).
screenshots: dev
	$(BIN)/python scripts/screenshots.py
