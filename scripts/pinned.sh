#!/usr/bin/env bash
# Run a command with the floating-point path pinned, aiming at the same numbers for a seed on any x86-64 CPU
# (reached on one machine; across machines not always, see the README):
#   bash scripts/pinned.sh .venv/bin/papermill nbs/20_cmnist.ipynb runs/x.ipynb -p smoke False
# Pinned (x86-64 only; elsewhere the command runs as is):
#   torch's CPU kernels at AVX2 (ATEN_CPU_CAPABILITY), oneDNN's convolutions at AVX2 (ONEDNN_MAX_CPU_ISA), MKL's
#   code path (MKL_CBWR), OpenBLAS's kernels for numpy/scipy (OPENBLAS_CORETYPE), numba's generated code for UMAP
#   (NUMBA_CPU_NAME=generic instead of the host CPU), and the thread count (OMP/MKL/OpenBLAS threads: PIN_THREADS,
#   default 1): with 2 threads instead of 1, OpenBLAS's eigh gave other bits even pinned, and unpinned so did the
#   trained CNN and its LRP heatmaps.
# PIN_FP=0 runs the command unpinned (the fastest kernels of the host CPU, every core: numbers differ from the
# committed ones in the last bits, and through training and clustering sometimes in the printed digits).
# `bash scripts/pinned.sh env` shows what is set.
set -euo pipefail
if [ "${PIN_FP:-1}" != "0" ] && [ "$(uname -m)" = "x86_64" ]; then
  export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_CBWR=AVX2 OPENBLAS_CORETYPE=Haswell
  export NUMBA_CPU_NAME=generic
  t="${PIN_THREADS:-1}"
  export OMP_NUM_THREADS="$t" MKL_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" NUMBA_NUM_THREADS="$t"
fi
exec "$@"
