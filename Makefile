# One command each from a fresh clone: `make demo`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean oracle fuzz explore

setup: $(STAMP)

# Re-install only when the project's dependencies change; the stamp makes `setup` idempotent.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v 'is ignored: it is neither' || true
	$(BIN)/python -c 'import migrate, aiohttp, pandas, structlog, asyncio_throttle, orjson, pytest, xdist'
	touch $(STAMP)

# The demo export holds a few broken rows on purpose, so its run ends with exit code 5
# ("finished, nothing failed, some source rows invalid"); any other code is a real failure.
demo: setup
	@rm -f results/demo.sqlite results/demo.sqlite-wal results/demo.sqlite-shm  # the demo starts over
	@$(BIN)/migrate demo; code=$$?; \
	if [ $$code -eq 5 ]; then echo "(exit code 5: the demo's broken rows were reported, as intended)"; \
	else exit $$code; fi

# Two processes (pytest-xdist): most tests wait on an emulator, a fault or a child process, so the
# suite takes about half the time on two cores. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# The fuzz test with a larger budget and a random search (`make test` runs a few fixed examples):
# FUZZ_EXAMPLES=1000 make fuzz for a night's worth; a failure is kept and replayed by hypothesis.
FUZZ_EXAMPLES ?= 200
fuzz: setup
	HYPOTHESIS_PROFILE=explore FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py -q --timeout=0

# `make test` draws the same examples every run (CI is deterministic); `make explore` runs every
# property test on fresh random examples to look for new failures.
explore: setup
	HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check migrate tests benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info out

# The differential check against real Quartz 2.3.2 and Joda-Time (tests/oracle/README.md); outside
# `make test` since it needs a JVM. Installs Debian's Quartz, Joda-Time and a JDK when they are missing.
QUARTZ_JAR   := /usr/share/java/quartz2.jar
JODA_JAR     := /usr/share/java/joda-time.jar
ORACLE_BUILD ?= build/oracle

oracle: setup
	@if ! command -v java >/dev/null || ! command -v javac >/dev/null || [ ! -f $(QUARTZ_JAR) ] || [ ! -f $(JODA_JAR) ]; then \
		sudo=$$(command -v sudo || true); \
		ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || $$sudo apt-get update; \
		$$sudo apt-get install -y libquartz2-java libjoda-time-java default-jre-headless default-jdk-headless; \
	fi
	mkdir -p $(ORACLE_BUILD)
	javac -nowarn -cp $(QUARTZ_JAR) -d $(ORACLE_BUILD) tests/oracle/QuartzOracle.java
	javac -nowarn -cp $(JODA_JAR) -d $(ORACLE_BUILD) tests/oracle/JodaOracle.java
	ORACLE=1 ORACLE_BUILD=$(abspath $(ORACLE_BUILD)) $(BIN)/python -m pytest tests/oracle -q --timeout=0
