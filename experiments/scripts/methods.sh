#!/usr/bin/env bash
# The paper's Tables 2-7 at this machine's scale: every method of docs/ALGORITHM.md on Dolly-15K with
# alpha 0.5 and 5.0 and on Natural Instructions, then one markdown file of tables.
#   experiments/scripts/methods.sh DOLLY_CONFIG NI_CONFIG [MODEL]
#   e.g. experiments/scripts/methods.sh experiments/paper-tiny-dolly.toml experiments/paper-tiny-ni.toml
# Env: METHODS (default: all), SCENARIOS (default: "dolly-a0.5 dolly-a5.0 ni"), FEDHDS_BIN, FORCE=1.
# Runs go to runs/<dolly config name>/<scenario>/<method>; the tables to
# experiments/results/<dolly config name>-methods.md.
set -euo pipefail
dolly=${1:?usage: methods.sh DOLLY_CONFIG NI_CONFIG [MODEL]}
ni=${2:?usage: methods.sh DOLLY_CONFIG NI_CONFIG [MODEL]}
model=${3:-}
source "$(dirname "$0")/common.sh"
name=$(basename "$dolly" .toml)
root=runs/$name
config="$dolly, $ni"
cmd="experiments/scripts/methods.sh $*"
methods=${METHODS:-"fedit fedit-sgd random perplexity coreset-cent globalselect globalselect-turbo fedhds fedhds-turbo fedhds-last-layer fedhds-no-inter fedhds-pca fedhds-kpca"}
scenarios=${SCENARIOS:-"dolly-a0.5 dolly-a5.0 ni"}
for s in $scenarios; do
  mkdir -p "$root/$s"
  for m in $methods; do
    case $s in
      dolly-a0.5) run "$root/$s/$m" "$dolly" --set method=$m --set data.alpha=0.5 ;;
      dolly-a5.0) run "$root/$s/$m" "$dolly" --set method=$m --set data.alpha=5.0 ;;
      ni) run "$root/$s/$m" "$ni" --set method=$m ;;
    esac
  done
done
mkdir -p experiments/results
out=experiments/results/$name-methods.md
{ header "Methods (Tables 2-7), $name"; python3 "$here/tables.py" methods "$root"; } > "$out"
echo "tables: $out"
