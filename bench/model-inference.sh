#!/usr/bin/env bash
# Inference speed of fedhds against PyTorch CPU (2 threads) and llama.cpp on SmolLM2-135M-Instruct
# (same GGUF, same Dolly samples, one run on this machine): feature-extraction tokens/s, prefill
# tokens/s, single-stream and batched (8, 32) greedy generation tokens/s, and peak RSS.
# Env: FEDHDS_BIN, FEDHDS_REFERENCE_PYTHON, FEDHDS_MODEL, FEDHDS_SHARED (folder with data/),
# FEDHDS_LLAMA_CPP_PATH (a folder prepended to PYTHONPATH holding another llama_cpp build).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-$PWD/.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
MODEL=${FEDHDS_MODEL:-$(bash scripts/fetch-model.sh)}
SHARED=${FEDHDS_SHARED:-../shared}
DOLLY="$SHARED/data/dolly/databricks-dolly-15k.jsonl"
[ -x "$BIN" ] || { echo "model-inference: build first ($BIN missing)" >&2; exit 1; }
[ -f "$DOLLY" ] || { echo "model-inference: $DOLLY missing" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Every 300th Dolly record: 16 samples (prompt + response) for features, 32 prompts for generation.
awk 'NF && (n++ % 300 == 0) { print; if (++m == 32) exit }' "$DOLLY" > "$WORK/p32.jsonl"
head -n 16 "$WORK/p32.jsonl" > "$WORK/samples.jsonl"
head -n 8 "$WORK/p32.jsonl" > "$WORK/p8.jsonl"
head -n 2 "$WORK/p32.jsonl" > "$WORK/p2.jsonl"

ours() { "$BIN" "$@" --model "$MODEL" --timing 2>&1 >/dev/null | tail -n 1; }
echo "model-inference: ours" >&2
OF=$(ours features --input "$WORK/samples.jsonl" --out "$WORK/f.npy")
OG1=$(ours generate --input "$WORK/p2.jsonl" --batch 1 --max-new-tokens 32 --ignore-eos)
OG8=$(ours generate --input "$WORK/p8.jsonl" --batch 8 --max-new-tokens 32 --ignore-eos)
OG32=$(ours generate --input "$WORK/p32.jsonl" --batch 32 --max-new-tokens 32 --ignore-eos)
echo "model-inference: PyTorch" >&2
RT=$("$PY" bench/model_inference_ref.py torch "$MODEL" "$WORK/samples.jsonl" "$WORK/p8.jsonl" 2>/dev/null | tail -n 1 || echo '{}')
echo "model-inference: llama.cpp" >&2
RL=$(PYTHONPATH="${FEDHDS_LLAMA_CPP_PATH:-}${PYTHONPATH:+:$PYTHONPATH}" "$PY" bench/model_inference_ref.py llamacpp "$MODEL" \
       "$WORK/samples.jsonl" "$WORK/p8.jsonl" 2>/dev/null | tail -n 1 || echo '{}')
[ -n "$RL" ] || RL='{}'
[ -n "$RT" ] || RT='{}'

"$PY" - "$OF" "$OG1" "$OG8" "$OG32" "$RT" "$RL" <<'PYEOF'
import json, sys
of, g1, g8, g32, rt, rl = (json.loads(a) for a in sys.argv[1:])
def fmt(x): return "n/a" if x is None else f"{x:8.1f}"
def ratio(a, b): return "n/a" if a is None or not b else f"{a / b:5.2f}x"
pt, lc = rt.get, rl.get
rows = [
    ("feature extraction tok/s", of["tokens_per_second"], pt("features_tokens_per_second"), None),
    ("prefill tok/s", g32["prefill_tokens_per_second"], pt("prefill_tokens_per_second"), lc("prefill_tokens_per_second")),
    ("generation, 1 stream tok/s", g1["decode_tokens_per_second"], pt("generate_single_tokens_per_second"), lc("generate_single_tokens_per_second")),
    ("generation, batch 8 tok/s", g8["decode_tokens_per_second"], None, None),
    ("generation, batch 32 tok/s", g32["decode_tokens_per_second"], None, None),
]
print(f"{'':30} {'fedhds':>8} {'PyTorch':>8} {'llama.cpp':>9}   ours/PyTorch ours/llama.cpp")
for name, o, t, l in rows:
    print(f"{name:30} {fmt(o)} {fmt(t)} {fmt(l):>9}   {ratio(o, t):>12} {ratio(o, l):>14}")
single = lc("generate_single_tokens_per_second")
for b, g in ((8, g8), (32, g32)):
    print(f"batched generation (batch {b}) vs llama.cpp single stream: {ratio(g['decode_tokens_per_second'], single)}"
          " (target >= 3x for the batched runs)")
print(f"feature extraction vs PyTorch: {ratio(of['tokens_per_second'], pt('features_tokens_per_second'))} (target >= 2x)")
print(f"peak RSS MB: fedhds features {of['peak_rss_mb']:.0f}, generate batch 32 {g32['peak_rss_mb']:.0f} (limit 1500); "
      f"PyTorch {fmt(pt('peak_rss_mb'))}, llama.cpp {fmt(lc('peak_rss_mb'))}")
if not rl:
    print("llama.cpp: not measured (llama_cpp failed to import or crashed; set FEDHDS_LLAMA_CPP_PATH to a working build)")
PYEOF
