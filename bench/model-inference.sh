#!/usr/bin/env bash
# Inference speed of fedhds against PyTorch CPU (2 threads) and llama.cpp on SmolLM2-135M-Instruct
# (same GGUF, same Dolly samples, one run on this machine): feature-extraction tokens/s, prefill
# tokens/s, decode-only tokens/s of one stream and of batches of 8 and 32 sequences (against
# llama.cpp's single-stream decode), end-to-end generation tokens/s, and peak RSS; ours in float32
# and with bfloat16 products (--precision bf16, AMX), PyTorch in float32 and, for feature
# extraction, under torch.autocast(bfloat16).
# Env: FEDHDS_BIN, FEDHDS_REFERENCE_PYTHON, FEDHDS_MODEL, FEDHDS_SHARED (folder with data/),
# FEDHDS_LLAMA_CPP_PATH (a folder prepended to PYTHONPATH holding another llama_cpp build).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-$PWD/.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
MODEL=${FEDHDS_MODEL:-$(bash scripts/fetch-model.sh)}
DOLLY=data/dolly/databricks-dolly-15k.jsonl
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
refs() { "$PY" bench/model_inference_ref.py "$1" "$MODEL" "$WORK/samples.jsonl" "$WORK/p8.jsonl" 2>/dev/null | tail -n 1 || true; }
LOAD_BEFORE=$(uptime | sed 's/.*load average: //')
# Ours and the references alternate so that a change of machine load hits both sides.
echo "model-inference: ours (features, fp32 and bf16)" >&2
OF=$(ours features --input "$WORK/samples.jsonl" --out "$WORK/f.npy")
OFB=$(ours features --input "$WORK/samples.jsonl" --out "$WORK/f.npy" --precision bf16)
echo "model-inference: PyTorch (fp32 and bf16 autocast)" >&2
RT=$(refs torch)
echo "model-inference: ours (generate, batch 1, 8, 32; fp32 then bf16)" >&2
OG1=$(ours generate --input "$WORK/p2.jsonl" --batch 1 --max-new-tokens 32 --ignore-eos)
OG8=$(ours generate --input "$WORK/p8.jsonl" --batch 8 --max-new-tokens 32 --ignore-eos)
OG32=$(ours generate --input "$WORK/p32.jsonl" --batch 32 --max-new-tokens 32 --ignore-eos)
OB1=$(ours generate --input "$WORK/p2.jsonl" --batch 1 --max-new-tokens 32 --ignore-eos --precision bf16)
OB8=$(ours generate --input "$WORK/p8.jsonl" --batch 8 --max-new-tokens 32 --ignore-eos --precision bf16)
OB32=$(ours generate --input "$WORK/p32.jsonl" --batch 32 --max-new-tokens 32 --ignore-eos --precision bf16)
echo "model-inference: llama.cpp" >&2
RL=$(PYTHONPATH="${FEDHDS_LLAMA_CPP_PATH:-}${PYTHONPATH:+:$PYTHONPATH}" refs llamacpp)
[ -n "$RL" ] || RL='{}'
[ -n "$RT" ] || RT='{}'
LOAD_AFTER=$(uptime | sed 's/.*load average: //')

"$PY" - "$OF" "$OG1" "$OG8" "$OG32" "$RT" "$RL" "$LOAD_BEFORE" "$LOAD_AFTER" "$OFB" "$OB1" "$OB8" "$OB32" <<'PYEOF'
import json, sys
of, g1, g8, g32, rt, rl = (json.loads(a) for a in sys.argv[1:7])
load_before, load_after = sys.argv[7:9]
ofb, b1, b8, b32 = (json.loads(a) for a in sys.argv[9:13])
def fmt(x): return f"{'n/a':>8}" if x is None else f"{x:8.1f}"
def ratio(a, b): return "n/a" if a is None or not b else f"{a / b:5.2f}x"
pt, lc = rt.get, rl.get
single = lc("generate_single_tokens_per_second")
ptf, ptb = pt("features_tokens_per_second"), pt("features_bf16_tokens_per_second")
rows = [
    ("feature extraction tok/s", of["tokens_per_second"], ptf, None),
    ("prefill tok/s (8 prompts)", g8["prefill_tokens_per_second"], pt("prefill_tokens_per_second"), lc("prefill_tokens_per_second")),
    ("decode, 1 stream tok/s", g1["decode_tokens_per_second"], None, single),
    ("decode, batch 8 tok/s", g8["decode_tokens_per_second"], None, single),
    ("decode, batch 32 tok/s", g32["decode_tokens_per_second"], None, single),
    ("prefill+32 tokens, 1 stream tok/s", g1["generated_tokens_per_second"], pt("generate_single_tokens_per_second"), None),
    ("prefill+32 tokens, batch 8 tok/s", g8["generated_tokens_per_second"], None, None),
    ("prefill+32 tokens, batch 32 tok/s", g32["generated_tokens_per_second"], None, None),
    # bf16: ours with --precision bf16; the PyTorch column stays float32 (its autocast bf16 below).
    ("bf16: feature extraction tok/s", ofb["tokens_per_second"], ptf, None),
    ("bf16: prefill tok/s (8 prompts)", b8["prefill_tokens_per_second"], pt("prefill_tokens_per_second"), lc("prefill_tokens_per_second")),
    ("bf16: decode, 1 stream tok/s", b1["decode_tokens_per_second"], None, single),
    ("bf16: decode, batch 8 tok/s", b8["decode_tokens_per_second"], None, single),
    ("bf16: decode, batch 32 tok/s", b32["decode_tokens_per_second"], None, single),
    ("bf16: prefill+32 tokens, batch 32", b32["generated_tokens_per_second"], None, None),
    ("PyTorch bf16 autocast: features", None, ptb, None),
]
print(f"{'':34} {'fedhds':>8} {'PyTorch':>8} {'llama.cpp':>9}   ours/PyTorch ours/llama.cpp")
for name, o, t, l in rows:
    print(f"{name:34} {fmt(o)} {fmt(t)} {fmt(l):>9}   {ratio(o, t):>12} {ratio(o, l):>14}")
ran_bf16 = all(r.get("bf16") == 1 for r in (ofb, b1, b8, b32))
if not ran_bf16:
    print("bf16 rows: this CPU has no AMX-BF16, so --precision bf16 ran float32 (see the commands' stderr)")
print("decode: tokens/s of the decoding steps only (KV cache, one new token per sequence per step); the llama.cpp")
print("  column of every decode row is its single stream (2 prompts x 32 tokens, prefill excluded).")
print("prefill+32 tokens: the whole generation call (prompts' prefill, then 32 greedy tokens each); PyTorch is")
print("  Hugging Face generate, one prompt at a time.")
for b, g in ((8, g8), (32, g32)):
    print(f"batched decode (batch {b}) vs llama.cpp single-stream decode: {ratio(g['decode_tokens_per_second'], single)}"
          " (target >= 3x)")
for b, g in ((8, b8), (32, b32)):
    print(f"bf16: batched decode (batch {b}) vs llama.cpp single-stream decode: {ratio(g['decode_tokens_per_second'], single)}"
          " (target >= 3x)")
print(f"feature extraction vs PyTorch: {ratio(of['tokens_per_second'], ptf)} (target >= 2x)")
print(f"bf16: feature extraction vs PyTorch fp32: {ratio(ofb['tokens_per_second'], ptf)} (target >= 2x); "
      f"vs PyTorch bf16 autocast: {ratio(ofb['tokens_per_second'], ptb)}")
print(f"peak RSS MB: fedhds features {of['peak_rss_mb']:.0f}, generate batch 32 {g32['peak_rss_mb']:.0f}; bf16 features "
      f"{ofb['peak_rss_mb']:.0f}, bf16 generate batch 32 {b32['peak_rss_mb']:.0f} (limit 1500); "
      f"PyTorch {fmt(pt('peak_rss_mb'))}, llama.cpp {fmt(lc('peak_rss_mb'))}")
print(f"machine load (1, 5, 15 min) before: {load_before}; after: {load_after}")
if not rl:
    print("llama.cpp: not measured (llama_cpp failed to import or crashed; set FEDHDS_LLAMA_CPP_PATH to a working build)")
PYEOF
