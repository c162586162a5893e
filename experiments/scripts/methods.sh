#!/usr/bin/env bash
# Every method of SPEC.md's table on one configuration (Table 2 / Table 4 at this machine's
# scale). Usage: experiments/scripts/methods.sh CONFIG [MODEL]
set -euo pipefail
config=${1:?usage: methods.sh CONFIG [MODEL]}
model=${2:-}
bin=${FEDHDS_BIN:-.build/release/fedhds}
name=$(basename "$config" .toml)
methods="fedhds fedhds-turbo fedit fedit-sgd random perplexity coreset-cent globalselect globalselect-turbo fedhds-no-inter fedhds-last-layer fedhds-pca fedhds-kpca"
for m in $methods; do
  tmp=$(mktemp --suffix=.toml)
  sed "s/^method = .*/method = \"$m\"/" "$config" > "$tmp"
  args=(run "$tmp" --out "runs/$name-$m")
  [ -n "$model" ] && args+=(--model "$model")
  "$bin" "${args[@]}"
  rm -f "$tmp"
done
echo "method,rougeL,data_ratio,seconds_per_client_round"
for m in $methods; do
  python3 -c "import json; r=json.load(open('runs/$name-$m/result.json')); print('$m,%s,%s,%s' % (r.get('rougeL'), r['dataRatio'], r['secondsPerClientRound']))"
done
