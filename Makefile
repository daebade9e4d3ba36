# exmap: `make reproduce` runs the offline Colored MNIST benchmark and prints the table; `make test` runs the tests.
# Both install what they need into .venv first (scripts/install.sh; skipped when already done).
SHELL := /bin/bash
BIN := .venv/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export MPLBACKEND := Agg
SEEDS ?= 0 1 2
# Float pinning: every papermill run (reproduce, cmnist, msmnist, ablations, dro, suite, slim, tables, natural) and
# the re-execution of saved outputs (nbs-lib, nbs-experiments, nbs-tables)
# goes through scripts/pinned.sh, which pins torch/oneDNN/MKL/OpenBLAS kernels to AVX2, numba's code to a generic
# CPU and the thread count to PIN_THREADS, aiming at the same numbers on any x86-64 CPU (not always reached across
# machines: README). Pinned on an
# AVX-512 CPU, C-MNIST seed 0 matched the committed JSON (made unpinned, 1 thread, no AVX-512) bit for bit on every
# row whose code had not changed since, except GEORGE's UMAP row (numba code compiled for the host CPU there).
# PIN_FP=0 turns it off (faster, all cores; numbers may differ in the last bits and beyond). Tests run unpinned.
PIN_FP ?= 1
PIN_THREADS ?= 1
export PIN_FP PIN_THREADS
PIN := bash $(CURDIR)/scripts/pinned.sh
PM := $(PIN) papermill --log-level WARNING --cwd nbs
# $(call seeds,NOTEBOOK,RUN NAME,EXTRA PAPERMILL ARGS): run an experiment notebook at full size once per seed in $(SEEDS)
define seeds
	@mkdir -p runs
	@for s in $(SEEDS); do echo "== $(2), seed $$s"; \
	  t0=$$(date +%s); $(PM) nbs/$(1).ipynb runs/$(2)_seed$$s.ipynb -p seed $$s -p smoke False $(3) || exit 1; \
	  echo "seed $$s: $$(( $$(date +%s) - t0 )) s wall"; done
endef

.PHONY: install test test-nbs test-py test-browser reproduce cmnist tables sync check-sync lab clean-cache nbs nbs-lib nbs-experiments nbs-tables

install:
	@bash scripts/install.sh

## the tests: notebook examples (nbdev-test) and tests/ (pytest). The experiment notebooks (nbs/2*) run once, at smoke
## size, in tests/test_reruns.py (papermill, empty cache, results checked against the committed ones), so nbdev-test
## skips them here; `nbdev-test --path nbs/20_cmnist.ipynb` still runs one alone.
test: install test-nbs test-py

test-nbs:
	$(BIN)/nbdev-test --n-workers 1 --timing --skip-file-re '^([_.]|[23][0-9]_)'

test-py:
	$(BIN)/python -m pytest -q tests

## the browser test alone (JupyterLab + headless Debian chromium; scripts/ci_browser.sh installs chromium)
test-browser: install
	$(BIN)/python -m pytest -q tests/test_browser.py

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

## saved outputs (MPLBACKEND unset so figures are kept inline): re-execute the notebooks in place so their outputs never go stale, then nbdev-clean.
## Library notebooks (nbs/0*, nbs/1*) with nbconvert; experiment notebooks at full size (seed 0, papermill written back
## over the notebook, cached ERMs/heatmaps reused); tables notebooks read results/ and rewrite tables/.
LIB_NBS ?= $(notdir $(wildcard nbs/0*.ipynb nbs/1*.ipynb))
EXP_NBS ?= 20_cmnist 21_msmnist 22_cmnist_ablations
TABLE_NBS ?= 40_tables 41_tables_msmnist 42_tables_comparison
nbs: nbs-lib nbs-experiments nbs-tables

nbs-lib: install
	@for nb in $(LIB_NBS); do echo "== $$nb"; t0=$$(date +%s); \
	  (cd nbs && env -u MPLBACKEND $(PIN) ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace $$nb) || exit 1; \
	  $(BIN)/nbdev-clean --fname nbs/$$nb; echo "$$nb: $$(( $$(date +%s) - t0 )) s"; done

nbs-experiments: install
	@for nb in $(EXP_NBS); do echo "== $$nb (full size, seed 0)"; t0=$$(date +%s); \
	  env -u MPLBACKEND $(PM) nbs/$$nb.ipynb nbs/$$nb.ipynb -p seed 0 -p smoke False || exit 1; \
	  $(BIN)/python scripts/saved_run.py nbs/$$nb.ipynb && $(BIN)/nbdev-clean --fname nbs/$$nb.ipynb; \
	  echo "$$nb: $$(( $$(date +%s) - t0 )) s"; done

nbs-tables: install
	@for nb in $(TABLE_NBS); do echo "== $$nb"; \
	  env -u MPLBACKEND $(PM) nbs/$$nb.ipynb nbs/$$nb.ipynb -p smoke False || exit 1; \
	  $(BIN)/python scripts/saved_run.py nbs/$$nb.ipynb && $(BIN)/nbdev-clean --fname nbs/$$nb.ipynb; done

# ---- dro
## Group DRO, ExMap+gDRO, GEORGE(gDRO), CVaR DRO, LfF, AFR, MaskTune and DFR on Colored MNIST, $(SEEDS); then their table.
## DRO_SIZE sets the split sizes: empty = full size (50k/10k/10k, reuses `make cmnist`'s cached ERM and heatmaps);
## the committed results used DRO_SIZE="-p n_train 10000 -p n_val 5000" (the shared 2-core machine could not fit
## three full-size seeds of six trained models each in the session).
DRO_SIZE ?= -p n_train 10000 -p n_val 5000
.PHONY: dro tables-dro

dro: install
	$(call seeds,24_dro,cmnist_dro,$(DRO_SIZE))
	$(MAKE) tables-dro

tables-dro: install
	@mkdir -p runs
	$(PM) nbs/44_tables_dro.ipynb runs/tables_dro.ipynb -p smoke False
	@cat tables/cmnist_dro.md

# ---- suite
## the shortcut suite (issue 8): every benchmark of exmap.suite.SUITE x $(SEEDS), full size; then its table and figure
## SUITE_ARGS: extra papermill parameters; the committed results used SUITE_ARGS="-p n_train 5000 -p george_umap False"
## (a 2-core machine: 30 runs at the suite's 20,000 training images with UMAP do not fit in a session)
SUITE_ARGS ?=
SUITE_BENCHMARKS ?= $(shell $(BIN)/python -c "import exmap.suite as s; print(' '.join(s.SUITE))" 2>/dev/null)
.PHONY: suite tables-suite

suite: install
	@mkdir -p runs
	@for b in $(SUITE_BENCHMARKS); do for s in $(SEEDS); do echo "== suite $$b, seed $$s"; \
	  t0=$$(date +%s); $(PM) nbs/23_suite.ipynb runs/suite_$${b}_seed$$s.ipynb -p benchmark $$b -p seed $$s -p smoke False $(SUITE_ARGS) || exit 1; \
	  echo "$$b seed $$s: $$(( $$(date +%s) - t0 )) s wall"; done; done

tables-suite: install
	@mkdir -p runs
	$(PM) nbs/43_tables_suite.ipynb runs/tables_suite.ipynb -p smoke False
	@cat tables/suite.md

# ---- slim
## SLIM beside ExMap (nbs/25_slim.ipynb): $(SEEDS) on each of $(SLIM_DATASETS), then the table and figure (nbs/45_tables_slim.ipynb)
## The committed results/slim/: `make slim` (cmnist, msmnist: full size, the cached ERMs of `make cmnist` / `make msmnist`)
## and `make slim SLIM_DATASETS="patch_95 texture_95 object_95" SLIM_ARGS="-p n_train 5000"` (the suite's ERMs)
SLIM_DATASETS ?= cmnist msmnist
SLIM_ARGS ?=
.PHONY: slim tables-slim

slim: install
	@mkdir -p runs
	@for d in $(SLIM_DATASETS); do for s in $(SEEDS); do echo "== slim $$d, seed $$s"; t0=$$(date +%s); \
	  $(PM) nbs/25_slim.ipynb runs/slim_$${d}_seed$$s.ipynb -p dataset $$d -p seed $$s -p smoke False $(SLIM_ARGS) || exit 1; \
	  echo "seed $$s: $$(( $$(date +%s) - t0 )) s wall"; done; done

tables-slim: install
	@mkdir -p runs
	$(PM) nbs/45_tables_slim.ipynb runs/tables_slim.ipynb -p smoke False

# ---- scale
# --- natural images (helper "scale"): full-size runs of nbs/26_natural.ipynb on data you have on disk -------------
# make waterbirds DATA=/data/waterbirds   (the folder holding waterbird_complete95_forest2water2/, or that folder)
# make celeba DATA=/data/celeba           (img_align_celeba/ + metadata.csv)
# make urbancars DATA=/data/urbancars     (Whac-A-Mole layout: bg-0.95_co_occur_obj-0.95/train/...)
# Options: SEEDS="0 1 2", DEVICE=cuda, WORKERS=8, WEIGHTS=imagenet (torch hub cache) or a .pth file.
SEEDS ?= 0 1 2
DEVICE ?=
WORKERS ?= 8
WEIGHTS ?= imagenet
NATURAL = waterbirds celeba urbancars

$(NATURAL):
	@test -n "$(DATA)" || { echo "usage: make $@ DATA=/path/to/$@ (see README: Natural images)"; exit 2; }
	@mkdir -p runs
	for s in $(SEEDS); do \
	  $(PIN) .venv/bin/papermill nbs/26_natural.ipynb runs/26_natural_$@_seed$$s.ipynb -p dataset $@ -p data_dir "$(DATA)" \
	    -p smoke False -p seed $$s -p device "$(DEVICE)" -p num_workers $(WORKERS) -p weights "$(WEIGHTS)" || exit 1; \
	done
	$(PIN) .venv/bin/papermill nbs/46_tables_natural.ipynb runs/46_tables_natural.ipynb -p smoke False

# heatmaps of one split on several GPUs (or CPU processes): NPROC=4 make extract DATASET=celeba DATA=... CKPT=...
NPROC ?= 1
extract:
	.venv/bin/torchrun --standalone --nproc_per_node $(NPROC) scripts/extract.py --dataset $(DATASET) \
	  --data-dir "$(DATA)" --split val --checkpoint $(CKPT) --out cache/extract/$(DATASET)_val --batch-size auto

.PHONY: $(NATURAL) extract

# ---- group noise, defaults study, AFR
## what a wrong grouping costs DFR (published protocol vs the pooled default) on C-MNIST and six suite
## benchmarks, 3 seeds, and the fallback check's false-"go" rate; writes results/group_noise/ and keeps the outputs
GROUP_NOISE_ARGS ?=
.PHONY: group-noise defaults-study afr concepts-suite masktune dro-recipes dfr-balance
group-noise: install
	env -u MPLBACKEND $(PM) nbs/27_group_noise.ipynb nbs/27_group_noise.ipynb -p smoke False $(GROUP_NOISE_ARGS)
	$(BIN)/python scripts/saved_run.py nbs/27_group_noise.ipynb && $(BIN)/nbdev-clean --fname nbs/27_group_noise.ipynb

## the label-free study of ExMap's defaults (seed 0, 12 study benchmarks and 6 held-out kinds)
DEFAULTS_STUDY_ARGS ?= -p n_train 5000 -p n_val 2500
defaults-study: install
	env -u MPLBACKEND $(PM) nbs/28_defaults_study.ipynb nbs/28_defaults_study.ipynb -p seed 0 -p smoke False $(DEFAULTS_STUDY_ARGS)
	$(BIN)/python scripts/saved_run.py nbs/28_defaults_study.ipynb && $(BIN)/nbdev-clean --fname nbs/28_defaults_study.ipynb

## AFR (true groups, label-free, AFR+ExMap) beside DFR on C-MNIST and four suite benchmarks, 3 seeds
afr: install
	env -u MPLBACKEND $(PM) nbs/29_afr.ipynb nbs/29_afr.ipynb -p smoke False
	$(BIN)/python scripts/saved_run.py nbs/29_afr.ipynb && $(BIN)/nbdev-clean --fname nbs/29_afr.ipynb

## ExMap's input (pixel heatmaps, concept relevance, both) on the 10 suite benchmarks x 3 seeds, kept in the notebook
concepts-suite: install
	env -u MPLBACKEND $(PM) nbs/30_concepts_suite.ipynb nbs/30_concepts_suite.ipynb -p smoke False
	$(BIN)/python scripts/saved_run.py nbs/30_concepts_suite.ipynb && $(BIN)/nbdev-clean --fname nbs/30_concepts_suite.ipynb

## MaskTune beside ERM and DFR+ExMap on C-MNIST and four suite benchmarks, 3 seeds, kept in the notebook
masktune: install
	env -u MPLBACKEND $(PM) nbs/31_masktune.ipynb nbs/31_masktune.ipynb -p smoke False
	$(BIN)/python scripts/saved_run.py nbs/31_masktune.ipynb && $(BIN)/nbdev-clean --fname nbs/31_masktune.ipynb

## Group DRO, CVaR DRO and LfF with their papers' recipes (LfF on its own Colored MNIST; the others tuned on
## validation WGA on ours), beside ERM and DFR; writes results/dro_recipes/ and keeps the outputs (~40 min pinned)
dro-recipes: install
	env -u MPLBACKEND $(PM) nbs/32_dro_recipes.ipynb nbs/32_dro_recipes.ipynb -p smoke False
	$(BIN)/python scripts/saved_run.py nbs/32_dro_recipes.ipynb && $(BIN)/nbdev-clean --fname nbs/32_dro_recipes.ipynb

## DFR's balancing rules (subsample, weight, auto) on the default pipeline's pseudo-groups: the 10 suite benchmarks and
## weak versions (p 0.8, 0.7) of four shortcuts; seeds 1 and 2 to runs/, then seed 0 in place (it gathers every seed)
dfr-balance: install
	@mkdir -p runs
	for s in 1 2; do $(PM) nbs/33_dfr_balance.ipynb runs/dfr_balance_seed$$s.ipynb -p seed $$s -p smoke False || exit 1; done
	env -u MPLBACKEND $(PM) nbs/33_dfr_balance.ipynb nbs/33_dfr_balance.ipynb -p seed 0 -p smoke False
	$(BIN)/python scripts/saved_run.py nbs/33_dfr_balance.ipynb && $(BIN)/nbdev-clean --fname nbs/33_dfr_balance.ipynb
