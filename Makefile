# exmap: `make reproduce` runs the offline Colored MNIST benchmark and prints the table; `make test` runs the tests.
# Both install what they need into .venv first (scripts/install.sh; skipped when already done).
SHELL := /bin/bash
BIN := .venv/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export MPLBACKEND := Agg
SEEDS ?= 0 1 2
PM := papermill --log-level WARNING --cwd nbs
# $(call seeds,NOTEBOOK,RUN NAME,EXTRA PAPERMILL ARGS): run an experiment notebook at full size once per seed in $(SEEDS)
define seeds
	@mkdir -p runs
	@for s in $(SEEDS); do echo "== $(2), seed $$s"; \
	  t0=$$(date +%s); $(PM) nbs/$(1).ipynb runs/$(2)_seed$$s.ipynb -p seed $$s -p smoke False $(3) || exit 1; \
	  echo "seed $$s: $$(( $$(date +%s) - t0 )) s wall"; done
endef

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
	$(call seeds,20_cmnist,cmnist)

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

## multi-shortcut MNIST (ExMap Table 3 analogue): full size, $(SEEDS); MSMNIST_VAL=exmap for ExMap's 0.95 validation set
MSMNIST_VAL ?= wam
.PHONY: msmnist tables-msmnist table3

msmnist: install
	$(call seeds,21_msmnist,msmnist_$(MSMNIST_VAL),-p val_variant $(MSMNIST_VAL))

tables-msmnist: install
	@mkdir -p runs
	$(PM) nbs/41_tables_msmnist.ipynb runs/tables_msmnist.ipynb -p smoke False

table3: install msmnist tables-msmnist
	@cat tables/msmnist_table3.md

## JTT, controls and ablations on Colored MNIST (reuses the ERM models and heatmaps cached by `make cmnist`), $(SEEDS)
ablations: install
	$(call seeds,22_cmnist_ablations,cmnist_ablations)

## the comparison tables (Tables 1/2 rows, 5, 6, group inference) from results/cmnist and results/cmnist_ablations
tables-comparison: install
	@mkdir -p runs
	$(PM) nbs/42_tables_comparison.ipynb runs/tables_comparison.ipynb -p smoke False

## everything for the comparison: ERM/DFR/GEORGE/ExMap, JTT and ablations for $(SEEDS), then the tables
comparison: install cmnist ablations tables-comparison
.PHONY: ablations tables-comparison comparison
