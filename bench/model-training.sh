#!/usr/bin/env bash
# LoRA training speed on SmolLM2-135M: seconds per step (forward + backward + Adam) and tokens/s
# for one 256-token sample, ours (`fedhds train`) against PyTorch CPU + PEFT, both on 2 threads,
# in the same run, interleaved (ours, PyTorch, ours, PyTorch) because the machine may be shared.
# Also each side's peak resident memory and the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-$PWD/.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
MODEL=${FEDHDS_MODEL:-$(bash scripts/fetch-model.sh)}
STEPS=${FEDHDS_BENCH_STEPS:-3}
ROUNDS=${FEDHDS_BENCH_ROUNDS:-2}
LEN=256
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 FEDHDS_BENCH_THREADS=2
# The OpenBLAS kernel family in use is printed: an OPENBLAS_CORETYPE set in the environment is
# kept (this machine sets Haswell; left to itself OpenBLAS picks Cooperlake, AVX-512: with
# OPENBLAS_CORETYPE=SkylakeX our 1-thread step was ~15-20% faster here). PyTorch's MKL picks its
# own kernels either way.
core=${OPENBLAS_CORETYPE:-$(OPENBLAS_VERBOSE=2 "$BIN" --help 2>&1 | sed -nE 's/^Core: (.*)/\1/p' | head -n 1)}

# One sample cut to 256 tokens, trained STEPS+1 times (the first step warms up).
"$PY" - "$TMP/sample.jsonl" <<'PYEOF'
import json, sys
words = " ".join(f"word{i} of a long answer," for i in range(400))
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"instruction": "Write a long list.", "output": words}) + "\n")
PYEOF

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/ours.steps"; : >"$TMP/ref.steps"; ours_rss=0; ref_rss=0
for round in $(seq "$ROUNDS"); do
  /usr/bin/time -v "$BIN" train --model "$MODEL" --data "$TMP/sample.jsonl" --epochs $((STEPS + 1)) --lr 1e-4 \
    --max-length $LEN --out "$TMP/adapter" >"$TMP/ours.txt" 2>"$TMP/ours.time"
  grep -E '^step ' "$TMP/ours.txt" | tail -n "$STEPS" | sed -E 's/.* ([0-9.]+) s$/\1/' >>"$TMP/ours.steps"
  ours_tokens=$(grep -E '^step ' "$TMP/ours.txt" | tail -n 1 | sed -E 's/.*tokens ([0-9]+).*/\1/')
  rss=$(awk '/Maximum resident/ {printf "%.0f", $NF/1024}' "$TMP/ours.time")
  ours_rss=$(( rss > ours_rss ? rss : ours_rss ))

  ref_line=$("$PY" bench/model-training.py "$MODEL" "$STEPS" "$LEN" 2>/dev/null | tail -n 1)
  echo "$ref_line" | sed -E 's/.*seconds_per_step=([0-9.]+).*/\1/' >>"$TMP/ref.steps"
  rss=$(echo "$ref_line" | sed -E 's/.*peak_rss_mb=([0-9]+).*/\1/')
  ref_rss=$(( rss > ref_rss ? rss : ref_rss ))
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
ours=$(awk '{s+=$1} END {printf "%.4f", s/NR}' "$TMP/ours.steps")
ref=$(awk '{s+=$1} END {printf "%.4f", s/NR}' "$TMP/ref.steps")

awk -v o="$ours" -v r="$ref" -v t="$ours_tokens" -v n="$LEN" -v orss="$ours_rss" -v rrss="$ref_rss" \
    -v rounds="$ROUNDS" -v core="${core:-unknown}" -v lb="$load_before" -v la="$load_after" 'BEGIN {
  printf "model-training: SmolLM2-135M LoRA step (r 8, all 7 projections, dropout 0.05), %d-token sample, 2 threads, %d interleaved rounds, OpenBLAS core %s\n", n, rounds, core
  printf "  ours:    %.3f s/step  %.0f tokens/s  peak RSS %s MB\n", o, t / o, orss
  printf "  PyTorch: %.3f s/step  %.0f tokens/s  peak RSS %s MB\n", r, n / r, rrss
  printf "  speed-up: %.2fx  (load average before %s, after %s)\n", r / o, lb, la
}'
