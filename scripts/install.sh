#!/usr/bin/env bash
# Make .venv and install the pinned stack in the safe order: torch==2.13.0 first (pip takes the CPU build where one
# is offered locally), then the rest, then exmap itself in editable mode. Idempotent: a finished install is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
stamp=.venv/.installed-$(sha1sum requirements.txt pyproject.toml | sha1sum | cut -c1-12)
if [ -f "$stamp" ]; then exit 0; fi
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"exmap needs Python 3.11, found {sys.version}"'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "$(grep -E '^torch==' requirements.txt)"
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e .
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name python3 >/dev/null
.venv/bin/python -c "import exmap, torchvision, zennit; print('exmap', exmap.__version__, 'torch', __import__('torch').__version__, 'ready')"
rm -f .venv/.installed-*; touch "$stamp"
