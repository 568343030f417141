# The two commands a new user needs: `make run` and `make test`. Each creates .venv and installs what it
# needs first (again whenever pyproject.toml changes), so a fresh clone needs nothing else.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
ARGS ?=

.PHONY: run test lint check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[slack,telegram]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@ $(RUN_STAMP)

# The demo's mail addresses (override by setting the variables yourself): BCC crm@nordlicht.example
# via SMTP on 127.0.0.1:8025 while `make run` is running.
DEMO_MAIL := CRMBOT_MAIL_ADDRESSES=$${CRMBOT_MAIL_ADDRESSES:-crm@nordlicht.example} \
	CRMBOT_INTERNAL_DOMAINS=$${CRMBOT_INTERNAL_DOMAINS:-nordlicht.example}

## run: start the bot on the embedded SQLite database (./data), with demo data when it is empty
run: $(RUN_STAMP)
	$(DEMO_MAIL) $(BIN)/crmbot run --console --demo $(ARGS)

## lint: ruff and mypy
lint: $(TEST_STAMP)
	$(BIN)/ruff check bot storage tests benchmarks
	$(BIN)/mypy

## test: lint, then the whole test suite (PostgreSQL tests start a throwaway cluster when it is installed)
test: lint
	$(BIN)/pytest $(ARGS)

## bench: the benchmarks of issue #8 at a reduced size (SQLite, and PostgreSQL when initdb is installed):
## one table, saved to bench/results.json; `make bench ARGS=--full` for the size of the issue
bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.run_all $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
