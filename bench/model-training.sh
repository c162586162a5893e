#!/usr/bin/env bash
# LoRA training speed on SmolLM2-135M: seconds per step (forward + backward + Adam) and tokens/s
# for one 256-token sample, ours (`fedhds train`) against PyTorch CPU + PEFT, both on 2 threads,
# in the same run. Also each side's peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-$PWD/.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
MODEL=${FEDHDS_MODEL:-$(bash scripts/fetch-model.sh)}
STEPS=${FEDHDS_BENCH_STEPS:-4}
LEN=256
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 FEDHDS_BENCH_THREADS=2

# Ours: one sample cut to 256 tokens, trained STEPS+1 times (the first step warms up).
"$PY" - "$TMP/sample.jsonl" <<'PYEOF'
import json, sys
words = " ".join(f"word{i} of a long answer," for i in range(400))
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"instruction": "Write a long list.", "output": words}) + "\n")
PYEOF
/usr/bin/time -v "$BIN" train --model "$MODEL" --data "$TMP/sample.jsonl" --epochs $((STEPS + 1)) --lr 1e-4 \
  --max-length $LEN --out "$TMP/adapter" >"$TMP/ours.txt" 2>"$TMP/ours.time"
ours=$(grep -E '^step ' "$TMP/ours.txt" | tail -n "$STEPS" | sed -E 's/.* ([0-9.]+) s$/\1/' | awk '{s+=$1} END {printf "%.4f", s/NR}')
ours_tokens=$(grep -E '^step ' "$TMP/ours.txt" | tail -n 1 | sed -E 's/.*tokens ([0-9]+).*/\1/')
ours_rss=$(awk '/Maximum resident/ {printf "%.0f", $NF/1024}' "$TMP/ours.time")

ref_line=$("$PY" bench/model-training.py "$MODEL" "$STEPS" "$LEN" 2>/dev/null | tail -n 1)
ref=$(echo "$ref_line" | sed -E 's/.*seconds_per_step=([0-9.]+).*/\1/')
ref_rss=$(echo "$ref_line" | sed -E 's/.*peak_rss_mb=([0-9]+).*/\1/')

awk -v o="$ours" -v r="$ref" -v t="$ours_tokens" -v n="$LEN" -v orss="$ours_rss" -v rrss="$ref_rss" 'BEGIN {
  printf "model-training: SmolLM2-135M LoRA step, %d-token sample, 2 threads\n", n
  printf "  ours:    %.3f s/step  %.0f tokens/s  peak RSS %s MB\n", o, t / o, orss
  printf "  PyTorch: %.3f s/step  %.0f tokens/s  peak RSS %s MB\n", r, n / r, rrss
  printf "  speed-up: %.2fx\n", r / o
}'
