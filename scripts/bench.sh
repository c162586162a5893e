#!/usr/bin/env bash
# `make bench`: runs every benchmark in bench/, each printing ours against the Python reference
# stack measured in the same run on this machine. The reference stack is installed into a
# throwaway virtual environment outside the repository (shared/tools/reference-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${FEDHDS_REFERENCE:-$HOME/.cache/fedhds-reference}
SHARED=${FEDHDS_SHARED:-../shared}
if [ -x "$SHARED/tools/reference-venv.sh" ]; then
  bash "$SHARED/tools/reference-venv.sh" "$REF/venv" "$REF/model" >/dev/null
fi
export FEDHDS_REFERENCE_PYTHON="$REF/venv/bin/python"
export FEDHDS_BIN="$PWD/.build/release/fedhds"
status=0
for b in bench/*.sh; do
  [ -e "$b" ] || continue
  echo "== $b"
  bash "$b" || status=1
done
exit $status
