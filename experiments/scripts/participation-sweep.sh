#!/usr/bin/env bash
# Participation-rate sweep (the paper's Figure 12) as one loop: the same configuration at
# k = 1%, 2%, 5%, 10%, 20%.   experiments/scripts/participation-sweep.sh CONFIG [MODEL]
# Env: RATES (default "0.01 0.02 0.05 0.10 0.20"), FEDHDS_BIN, FORCE=1.
# Runs go to runs/<config name>-participation/k<rate>; the table to
# experiments/results/<config name>-participation.md.
set -euo pipefail
config=${1:?usage: participation-sweep.sh CONFIG [MODEL]}
model=${2:-}
source "$(dirname "$0")/common.sh"
name=$(basename "$config" .toml)
root=runs/$name-participation
cmd="experiments/scripts/participation-sweep.sh $*"
mkdir -p "$root"
for k in ${RATES:-0.01 0.02 0.05 0.10 0.20}; do
  run "$root/k$k" "$config" --participation "$k"
done
mkdir -p experiments/results
out=experiments/results/$name-participation.md
{ header "Participation (Figure 12), $name"; python3 "$here/tables.py" participation "$root"; } > "$out"
echo "table: $out"
