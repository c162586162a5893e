#!/usr/bin/env bash
# Participation-rate sweep (the paper's Figure 12) as one loop: the same configuration at
# k = 1%, 2%, 5%, 10%, 20%. Usage: experiments/scripts/participation-sweep.sh CONFIG [MODEL]
set -euo pipefail
config=${1:?usage: participation-sweep.sh CONFIG [MODEL]}
model=${2:-}
bin=${FEDHDS_BIN:-.build/release/fedhds}
name=$(basename "$config" .toml)
for k in 0.01 0.02 0.05 0.10 0.20; do
  args=(run "$config" --participation "$k" --out "runs/$name-k$k")
  [ -n "$model" ] && args+=(--model "$model")
  "$bin" "${args[@]}"
done
echo "k,rougeL,data_ratio" > "runs/$name-participation.csv"
for k in 0.01 0.02 0.05 0.10 0.20; do
  python3 -c "import json,sys; r=json.load(open('runs/$name-k$k/result.json')); print('$k,%s,%s' % (r.get('rougeL'), r['dataRatio']))" >> "runs/$name-participation.csv"
done
cat "runs/$name-participation.csv"
