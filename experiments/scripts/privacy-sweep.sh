#!/usr/bin/env bash
# DP on the centroids (the paper's Figure 11): FedHDS-Turbo with the Gaussian mechanism at several
# epsilon (noise variance (2 sqrt(2 ln(1.25/delta)) / epsilon)^2), without noise, and Random.
#   experiments/scripts/privacy-sweep.sh CONFIG [MODEL]
# Env: EPSILONS (default "100 30 10 3"), METHOD (default fedhds-turbo), FEDHDS_BIN, FORCE=1.
# Runs go to runs/<config name>-privacy/; the table to experiments/results/<config name>-privacy.md.
set -euo pipefail
config=${1:?usage: privacy-sweep.sh CONFIG [MODEL]}
model=${2:-}
source "$(dirname "$0")/common.sh"
name=$(basename "$config" .toml)
root=runs/$name-privacy
cmd="experiments/scripts/privacy-sweep.sh $*"
method=${METHOD:-fedhds-turbo}
mkdir -p "$root"
run "$root/eps0" "$config" --set method=$method --set privacy.epsilon=0
for e in ${EPSILONS:-100 30 10 3}; do
  run "$root/eps$e" "$config" --set method=$method --set privacy.epsilon=$e
done
run "$root/random" "$config" --set method=random
mkdir -p experiments/results
out=experiments/results/$name-privacy.md
{ header "Privacy (Figure 11), $name"; python3 "$here/tables.py" privacy "$root"; } > "$out"
echo "table: $out"
