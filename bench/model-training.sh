#!/usr/bin/env bash
# LoRA training speed on SmolLM2-135M: seconds per step (forward + backward + Adam) and tokens/s
# for one 256-token sample, ours (`fedhds train`, --precision fp32 and bf16) against PyTorch CPU +
# PEFT in float32 and under torch.autocast(bfloat16), all on 2 threads, in the same run,
# interleaved (ours fp32, PyTorch fp32, ours bf16, PyTorch bf16, again) because the machine may be
# shared. Also each side's peak resident memory and the load average. Ours bf16 runs the frozen
# products on AMX (fp32 where the CPU has none: the line says which ran).
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
for side in ours-fp32 ours-bf16 ref-fp32 ref-bf16; do : >"$TMP/$side.steps"; echo 0 >"$TMP/$side.rss"; done
keep_max_rss() {  # side, MB
  local old; old=$(cat "$TMP/$1.rss")
  echo $(( $2 > old ? $2 : old )) >"$TMP/$1.rss"
}
ours() {  # precision
  /usr/bin/time -v "$BIN" train --model "$MODEL" --data "$TMP/sample.jsonl" --epochs $((STEPS + 1)) --lr 1e-4 \
    --max-length $LEN --out "$TMP/adapter" --precision "$1" >"$TMP/ours.txt" 2>"$TMP/ours.time"
  grep -E '^precision: ' "$TMP/ours.time" >"$TMP/ours-$1.says" || true
  grep -E '^step ' "$TMP/ours.txt" | tail -n "$STEPS" | sed -E 's/.* ([0-9.]+) s$/\1/' >>"$TMP/ours-$1.steps"
  ours_tokens=$(grep -E '^step ' "$TMP/ours.txt" | tail -n 1 | sed -E 's/.*tokens ([0-9]+).*/\1/')
  keep_max_rss "ours-$1" "$(awk '/Maximum resident/ {printf "%.0f", $NF/1024}' "$TMP/ours.time")"
}
ref() {  # fp32 | bf16 (torch.autocast)
  local line
  line=$("$PY" bench/model-training.py "$MODEL" "$STEPS" "$LEN" "$1" 2>/dev/null | tail -n 1)
  echo "$line" | sed -E 's/.*seconds_per_step=([0-9.]+).*/\1/' >>"$TMP/ref-$1.steps"
  keep_max_rss "ref-$1" "$(echo "$line" | sed -E 's/.*peak_rss_mb=([0-9]+).*/\1/')"
}
# Interleaved: every round runs all four, so a burst of load from other processes hits each side.
for round in $(seq "$ROUNDS"); do
  ours fp32; ref fp32; ours bf16; ref bf16
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mean() { awk '{s+=$1} END {printf "%.4f", s/NR}' "$TMP/$1.steps"; }

awk -v o32="$(mean ours-fp32)" -v o16="$(mean ours-bf16)" -v r32="$(mean ref-fp32)" -v r16="$(mean ref-bf16)" \
    -v m_o32="$(cat "$TMP/ours-fp32.rss")" -v m_o16="$(cat "$TMP/ours-bf16.rss")" \
    -v m_r32="$(cat "$TMP/ref-fp32.rss")" -v m_r16="$(cat "$TMP/ref-bf16.rss")" \
    -v t="$ours_tokens" -v n="$LEN" -v rounds="$ROUNDS" -v core="${core:-unknown}" \
    -v says="$(cat "$TMP/ours-bf16.says" 2>/dev/null)" -v lb="$load_before" -v la="$load_after" 'BEGIN {
  printf "model-training: SmolLM2-135M LoRA step (r 8, all 7 projections, dropout 0.05), %d-token sample, 2 threads, %d interleaved rounds, OpenBLAS core %s\n", n, rounds, core
  printf "  ours fp32:              %.3f s/step  %4.0f tokens/s  peak RSS %s MB\n", o32, t / o32, m_o32
  printf "  ours bf16:              %.3f s/step  %4.0f tokens/s  peak RSS %s MB  (%s)\n", o16, t / o16, m_o16, says
  printf "  PyTorch fp32 + PEFT:    %.3f s/step  %4.0f tokens/s  peak RSS %s MB\n", r32, n / r32, m_r32
  printf "  PyTorch bf16 autocast:  %.3f s/step  %4.0f tokens/s  peak RSS %s MB\n", r16, n / r16, m_r16
  printf "  speed-up ours-bf16 vs PyTorch fp32 (the issue target, >= 2x): %.2fx\n", r32 / o16
  printf "  speed-up ours-bf16 vs PyTorch bf16 autocast:                  %.2fx\n", r16 / o16
  printf "  speed-up ours-fp32 vs PyTorch fp32:                           %.2fx\n", r32 / o32
  printf "  (load average before %s, after %s)\n", lb, la
}'
