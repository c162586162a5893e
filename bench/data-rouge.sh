#!/usr/bin/env bash
# Rouge-L speed, ours against the Python package rouge 1.0.1 in the same run, on the 1,059 golden
# pairs of Tests/DataTests/Golden (Dolly responses, perturbations, edge cases, very long texts).
# Ours is the whole `fedhds rouge --pairs` command (process start, reading, scoring, writing);
# the reference is the scoring loop alone. Ratio > 1 means ours is faster. The reference takes about
# 3 minutes here (its dict-based LCS on the few very long texts dominates).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
PAIRS=Tests/DataTests/Golden/rouge_l_pairs.jsonl
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ref=$("$PY" - "$PAIRS" <<'PY'
import json, sys, threading, time
sys.setrecursionlimit(1_000_000)
threading.stack_size(512 * 1024 * 1024)
from rouge import Rouge
pairs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
r = Rouge()
out = {}
def run():
    t = time.perf_counter(); s = 0.0
    for p in pairs:
        try:
            s += r.get_scores([p["hyp"]], [p["ref"]])[0]["rouge-l"]["f"] if p["hyp"] else 0.0
        except ValueError:
            pass
    out["seconds"] = time.perf_counter() - t; out["mean"] = s / len(pairs)
th = threading.Thread(target=run); th.start(); th.join()
print(json.dumps(out))
PY
)
start=$(date +%s.%N)
ours=$("$BIN" rouge --pairs "$PAIRS" --out "$TMP/scores.jsonl")
end=$(date +%s.%N)
"$PY" - "$ref" "$start" "$end" "$ours" <<'PY'
import json, sys
ref = json.loads(sys.argv[1]); ours_s = float(sys.argv[3]) - float(sys.argv[2])
mean = [l for l in sys.argv[4].splitlines() if l.startswith("rouge-l f mean:")][0].split(":")[1].strip()
print(f"rouge-l over 1,059 pairs: rouge 1.0.1 {ref['seconds']:.2f} s (mean {ref['mean']:.12f}); "
      f"fedhds {ours_s:.2f} s (mean {float(mean):.12f}); ratio {ref['seconds'] / ours_s:.1f}")
PY
