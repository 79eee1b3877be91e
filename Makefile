# advisor: `make demo` runs the whole story on an embedded PostgreSQL; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PG_MAJOR ?= $(shell ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)

.PHONY: install system-packages browser test demo bench bench-tpch lint clean

install: system-packages $(BIN)/advisor

$(BIN)/advisor: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $(BIN)/advisor

system-packages:
	@bash scripts/install-system-packages.sh

browser:
	@bash scripts/install-system-packages.sh --browser

test: install browser
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

# DEMO_ARGS: e.g. "--latency-requests 3000" for p95s over ~5x the samples (about 20 min here)
demo: install
	$(BIN)/advisor demo $(DEMO_ARGS)

bench: install
	$(BIN)/python -m bench

bench-tpch: install
	$(BIN)/python -m bench --only tpch

lint: install
	$(BIN)/ruff check advisor app_under_test rules tests bench

clean:
	rm -rf $(VENV) reports/*.html reports/*.json
