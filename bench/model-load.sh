#!/usr/bin/env bash
# Model loading and tokenization, ours against the Python reference in the same run: tokens/s
# encoding Dolly-15K lines with SmolLM2's tokenizer (HF `tokenizers`, one encode per line), the
# time to read the tokenizer, and the time to load SmolLM2's Q4_1 GGUF as float32 weights
# (transformers' GGUF loader). Ratios > 1 mean ours is faster.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
MODEL=${FEDHDS_MODEL:-$(bash scripts/fetch-model.sh)}
LINES=${MODEL_LOAD_BENCH_LINES:-15011}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DATA=${FEDHDS_DATA:-data}/dolly/databricks-dolly-15k.jsonl
"$PY" -c "
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], 'w') as o:
    for i, line in enumerate(f):
        if i >= int(sys.argv[3]): break
        r = json.loads(line)
        o.write((r['instruction'] + ' ' + r['context'] + ' ' + r['response']).replace('\n', ' ') + '\n')
" "$DATA" "$TMP/lines.txt" "$LINES"
ours=$("$BIN" tokenize --model "$MODEL" --file "$TMP/lines.txt" --no-special-tokens --load-weights)
ref=$("$PY" bench/model-load.py "$MODEL" "$TMP/lines.txt" 1 2>/dev/null)
"$PY" - "$ours" "$ref" <<'PY'
import json, sys
o, r = json.loads(sys.argv[1]), json.loads(sys.argv[2])
same = o["tokens"] == r["tokens"] and o["ids_checksum"] == r["ids_checksum"]
print(f"{o['lines']} Dolly lines, {o['tokens']} tokens; all ids equal to the reference's: {'yes' if same else 'NO'}")
print(f"{'measure':34s} {'reference':>10s} {'ours':>10s} {'ratio':>6s}")
tps = lambda d: d["tokens"] / d["tokenize_seconds"]
print(f"{'tokenize, tokens/s (1 thread)':34s} {tps(r):10.0f} {tps(o):10.0f} {tps(o) / tps(r):6.2f}")
for name, key in [("read tokenizer from GGUF, s", "tokenizer_load_seconds"), ("load SmolLM2 Q4_1 GGUF to f32, s", "model_load_seconds")]:
    print(f"{name:34s} {r[key]:10.2f} {o[key]:10.2f} {r[key] / o[key]:6.2f}")
sys.exit(0 if same else 1)
PY
