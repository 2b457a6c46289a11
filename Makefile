# One command each from a fresh clone: `make demo`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

# Re-install only when the project's dependencies change; the stamp makes `setup` idempotent.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v 'is ignored: it is neither' || true
	$(BIN)/python -c 'import migrate, aiohttp, pandas, structlog, asyncio_throttle, orjson, pytest'
	touch $(STAMP)

# The demo export holds a few broken rows on purpose, so its run ends with exit code 2
# ("finished, some flows invalid"); any other code is a real failure.
demo: setup
	@$(BIN)/migrate demo; code=$$?; \
	if [ $$code -eq 2 ]; then echo "(exit code 2: the demo's broken rows were reported, as intended)"; \
	else exit $$code; fi

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check migrate tests benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info out
