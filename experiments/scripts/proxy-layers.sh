#!/usr/bin/env bash
# What the -Turbo layer proxy (`model.proxy_layers` = K, the base model's first K layers) costs and
# keeps, on SmolLM2-135M-Instruct over real clients of the paper's Dolly partition (200 clients,
# alpha 0.5): feature time per 1,000 tokens relative to the full model (same process, interleaved),
# and the fused (2-D t-SNE) features' Calinski-Harabasz index against the Dolly categories, next to
# the full model's, with the agreement of HDBSCAN's clusters and picks. About 10 minutes of CPU.
# Writes experiments/results/proxy-layers.md (the table; the reading below it is written by hand,
# so the script keeps everything from the line "## Reading" on).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${FEDHDS_BIN:-.build/release/fedhds}
model=${FEDHDS_MODEL:-$HOME/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf}
out=experiments/results/proxy-layers.md
args=(study proxy-layers --model "$model" --layers "${LAYERS:-2,4,8,15}" --clients "${CLIENTS:-6}" "$@")
table=$("$bin" "${args[@]}")
reading=""
[ -f "$out" ] && reading=$(sed -n '/^## Reading/,$p' "$out")
{
  echo "# The layer proxy of FedHDS-Turbo: what K layers cost and keep"
  echo
  echo "Made by \`bash experiments/scripts/proxy-layers.sh\` (\`fedhds ${args[*]/#$model/MODEL}\`) on $(date -u '+%Y-%m-%d %H:%M UTC'),"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores."
  echo
  echo "$table"
  echo
  if [ -n "$reading" ]; then echo "$reading"; fi
} > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
