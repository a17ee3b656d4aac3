# Two commands matter: `make run` (set up and build the sample) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint goldens clean

run: $(STAMP)
	$(BIN)/newsletter build

test: $(STAMP)
	$(BIN)/ruff check newsletter tests benchmarks scripts
	$(BIN)/ruff format --check newsletter tests benchmarks scripts
	$(BIN)/mypy
	bash scripts/with-postgres.sh $(BIN)/pytest

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

goldens: $(STAMP)
	$(BIN)/pytest tests/test_goldens.py --update-goldens

clean:
	rm -rf output
