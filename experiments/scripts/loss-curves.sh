#!/usr/bin/env bash
# Train and test loss per round (the paper's Figure 8, overfitting): FedHDS-Turbo against FedIT
# with eval.test_loss on.   experiments/scripts/loss-curves.sh CONFIG [MODEL]
# Env: METHODS (default "fedhds-turbo fedit"), FEDHDS_BIN, FORCE=1.
# Runs go to runs/<config name>-loss/<method>; the table to experiments/results/<config name>-loss.md.
set -euo pipefail
config=${1:?usage: loss-curves.sh CONFIG [MODEL]}
model=${2:-}
source "$(dirname "$0")/common.sh"
name=$(basename "$config" .toml)
root=runs/$name-loss
cmd="experiments/scripts/loss-curves.sh $*"
mkdir -p "$root"
for m in ${METHODS:-fedhds-turbo fedit}; do
  run "$root/$m" "$config" --set method=$m --set eval.test_loss=true
done
mkdir -p experiments/results
out=experiments/results/$name-loss.md
{ header "Train and test loss (Figure 8), $name"; python3 "$here/tables.py" loss "$root"; } > "$out"
echo "table: $out"
