#!/usr/bin/env bash
# bfloat16 product kernels against float32 OpenBLAS on SmolLM2's shapes, one thread, interleaved
# (bench/RESULTS.md, 2026-12-07). First checks whether the system OpenBLAS exports cblas_sbgemm
# (Debian's 0.3.21 does not: it is built without BUILD_BFLOAT16) and times it if it does.
#   bash bench/bf16/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../Sources/CKernels"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
lib=$(ldconfig -p | awk '/libopenblas.so.0 /{print $NF; exit}')
if nm -D "$lib" | grep -q ' T cblas_sbgemm$'; then
    clang -O2 -o "$out/sbgemm" "$here/sbgemm.c" -lopenblas && "$out/sbgemm"
else
    echo "$lib exports no cblas_sbgemm (OpenBLAS built without BUILD_BFLOAT16): nothing to time"
fi
clang -O2 -I"$src/include" -o "$out/kernels" "$here/kernels.c" "$src"/*.c -lopenblas -lm -lpthread
"$out/kernels"
