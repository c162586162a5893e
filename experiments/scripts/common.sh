# Shared by the experiment scripts: the binary, one run, and the header of a results table.
bin=${FEDHDS_BIN:-.build/release/fedhds}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

# run OUT CONFIG [fedhds run options...]: one run unless OUT already holds its result (so an
# interrupted sweep continues where it stopped, a killed run from its checkpoint; FORCE=1 runs again).
run() {
  local out=$1 config=$2; shift 2
  if [ -z "${FORCE:-}" ] && [ -f "$out/result.json" ]; then echo "== $out: done before, kept"; return; fi
  echo "== $out"
  local args=(run "$config" --out "$out" "$@")
  # fedhds refuses a folder holding another run: FORCE=1 starts over, an interrupted run continues.
  if [ -n "${FORCE:-}" ]; then args+=(--force); elif [ -f "$out/checkpoint.bin" ]; then args+=(--resume); fi
  [ -n "${model:-}" ] && args+=(--model "$model")
  "$bin" "${args[@]}" > "$out.log" 2>&1 || { echo "run failed: see $out.log"; tail -5 "$out.log"; return 1; }
  tail -4 "$out.log" | head -3
}

# header TITLE: what made the table (command, commit, machine load, date).
header() {
  echo "# $1"
  echo
  echo "Made by \`$cmd\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'),"
  echo "$(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Configuration: \`$config\`${model:+, model \`$(basename "$model")\`}."
  echo "Runs: \`$root\` (each holds config.toml, metrics.jsonl, result.json, report.html)."
  echo
}
