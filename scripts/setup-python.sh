#!/usr/bin/env bash
# Creates python/.venv (Python >= 3.10) and installs the distributed rank runner (python/, package gvsl_onnx_dist)
# with its pinned dependencies (torch 2.13, onnxruntime 1.30, numpy) and pytest. The single-machine Node path
# needs none of this. Re-running it is cheap: pip skips what is installed.
#   bash scripts/setup-python.sh            # CPU wheels from pip's configured index
#   PYTHON=python3.12 bash scripts/setup-python.sh
#   GVSL_ORT_PACKAGE=onnxruntime-gpu bash scripts/setup-python.sh   # on a CUDA machine (same version)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || { echo "setup-python: $PY is $("$PY" --version 2>&1); the runner needs Python >= 3.10 (set PYTHON=...)" >&2; exit 1; }
VENV=python/.venv
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# --retries 0 --timeout 5: an index that cannot be reached (pypi.org from an offline machine) fails fast
# instead of being retried five times per package; pip's configured local indexes answer at once.
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 5)
ORT=${GVSL_ORT_PACKAGE:-onnxruntime}
if [ "$ORT" != onnxruntime ]; then "${PIP[@]}" "$ORT==1.30.*"; fi
"${PIP[@]}" -e "python[test]"
"$VENV/bin/python" -c 'import torch, onnxruntime, gvsl_onnx_dist; print("python/.venv: torch", torch.__version__, "onnxruntime", onnxruntime.__version__, onnxruntime.get_available_providers())'
