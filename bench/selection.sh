#!/usr/bin/env bash
# Selection benchmark (t-SNE, HDBSCAN): ours vs scikit-learn TSNE and the hdbscan library, same
# inputs (31*576 columns), same run. FEDHDS_BENCH_SELECTION_SIZES="70 300" limits the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
export FEDHDS_BIN=${FEDHDS_BIN:-$PWD/.build/release/fedhds}
"$PY" bench/selection.py
