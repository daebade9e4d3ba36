# exmap: `make reproduce` runs the offline Colored MNIST benchmark and prints the table; `make test` runs the tests.
# Both install what they need into .venv first (scripts/install.sh; skipped when already done).
SHELL := /bin/bash
BIN := .venv/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export MPLBACKEND := Agg
SEEDS ?= 0 1 2
PM := papermill --log-level WARNING --cwd nbs

.PHONY: install test test-nbs test-py reproduce cmnist tables sync check-sync lab clean-cache

install:
	@bash scripts/install.sh

## the tests: notebook examples (nbdev-test, smoke-size experiments) and tests/ (pytest)
test: install test-nbs test-py

test-nbs:
	$(BIN)/nbdev-test --n-workers 1 --timing

test-py:
	$(BIN)/python -m pytest -q tests

## the main job: ExMap on Colored MNIST, full size, $(SEEDS); then the comparison table
reproduce: install cmnist tables
	@cat tables/cmnist.md

cmnist: install
	@mkdir -p runs
	@for s in $(SEEDS); do echo "== Colored MNIST, seed $$s"; \
	  t0=$$(date +%s); $(PM) nbs/20_cmnist.ipynb runs/cmnist_seed$$s.ipynb -p seed $$s -p smoke False || exit 1; \
	  echo "seed $$s: $$(( $$(date +%s) - t0 )) s wall"; done

tables: install
	@mkdir -p runs
	$(PM) nbs/40_tables.ipynb runs/tables.ipynb -p smoke False

## notebooks and modules in step (what CI checks)
sync: install
	$(BIN)/nbdev-clean && $(BIN)/nbdev-export

check-sync: sync
	@git diff --quiet -- nbs exmap && test -z "$$(git status --porcelain -- nbs exmap)" || \
	  { echo "nbdev-clean/nbdev-export changed files: commit the cleaned notebooks and exported modules"; git status --porcelain -- nbs exmap; exit 1; }

lab: install
	$(BIN)/jupyter lab --allow-root nbs

clean-cache:
	rm -rf cache
