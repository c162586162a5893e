#!/usr/bin/env bash
# The paper-scale Dolly-15K study (experiments/results/paper-dolly.md): every run of
# experiments/paper-dolly-runs.tsv, continued across sessions.
#   experiments/scripts/paper-dolly.sh run NAME...   # run (or continue) these runs, in order
#   experiments/scripts/paper-dolly.sh save          # keep unfinished runs' checkpoints in the repository
#   experiments/scripts/paper-dolly.sh status        # one line a run: done / round r of R / not started
# Env: FEDHDS_BIN (default .build/release/fedhds), FEDHDS_MODEL (default: the cached SmolLM2 GGUF).
# A run works in runs/paper-dolly/NAME. When it finishes, its config.toml, result.json,
# metrics.jsonl and predictions*.jsonl are copied to experiments/results/paper-dolly/NAME (never
# the adapter or the run folder). `save` copies an unfinished run's checkpoint.bin (about 10 MB)
# there too, so a fresh clone continues it: `run` puts it back and resumes (bit-identical).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${FEDHDS_BIN:-.build/release/fedhds}
model=${FEDHDS_MODEL:-${FEDHDS_CACHE:-$HOME/.cache/fedhds}/models/SmolLM2-135M-Instruct.Q4_1.gguf}
table=experiments/paper-dolly-runs.tsv
work=runs/paper-dolly
kept=experiments/results/paper-dolly

# line NAME: the run's "kind config args..." from the table (tab-separated: name, kind, config, args).
line() { awk -F'\t' -v n="$1" '$1 == n { print $2 "\t" $3 "\t" $4; found = 1 } END { exit !found }' "$table"; }

keep() {  # keep NAME: copy a finished run's small outputs into the repository
  local out=$work/$1 dst=$kept/$1
  mkdir -p "$dst"
  cp "$out"/config.toml "$out"/result.json "$dst"/
  for f in "$out"/metrics.jsonl "$out"/metrics.csv "$out"/predictions*.jsonl; do [ -f "$f" ] && cp "$f" "$dst"/; done
  rm -f "$dst"/checkpoint.bin
}

run_one() {
  local name=$1 spec kind config args out=$work/$1
  spec=$(line "$name") || { echo "paper-dolly: no run named $name in $table" >&2; return 2; }
  IFS=$'\t' read -r kind config args <<< "$spec"
  if [ -f "$kept/$name/result.json" ]; then echo "== $name: done ($kept/$name)"; return 0; fi
  mkdir -p "$out"
  local extra=()
  if [ "$kind" = run ]; then
    if [ ! -f "$out/checkpoint.bin" ] && [ -f "$kept/$name/checkpoint.bin" ]; then cp "$kept/$name/checkpoint.bin" "$out/"; fi
    if [ -f "$out/checkpoint.bin" ]; then extra+=(--resume); else extra+=(--force); fi
  else
    extra+=(--force)
  fi
  echo "== $name: fedhds $kind $config $args ${extra[*]}"
  # shellcheck disable=SC2086  # args is a list of options from the table
  "$bin" "$kind" "$config" --model "$model" --out "$out" $args "${extra[@]}" 2> >(tee -a "$out.log" >&2)
  keep "$name"
  echo "== $name: kept in $kept/$name"
}

case ${1:-} in
  run)
    shift
    for n in "$@"; do run_one "$n"; done ;;
  save)
    for d in "$work"/*/ "$work"/*/*/; do
      [ -f "$d/checkpoint.bin" ] || continue
      n=${d#"$work"/}; n=${n%/}
      [ -f "$d/result.json" ] && continue
      mkdir -p "$kept/$n"
      cp "$d/checkpoint.bin" "$kept/$n/"
      for f in config.toml metrics.jsonl; do [ -f "$d/$f" ] && cp "$d/$f" "$kept/$n/"; done
      echo "saved $n (checkpoint after round $(wc -l < "$d/metrics.jsonl"))"
    done ;;
  status)
    tail -n +2 "$table" | while IFS=$'\t' read -r n kind config args; do
      if [ -f "$kept/$n/result.json" ]; then s="done"
      elif [ -f "$work/$n/metrics.jsonl" ]; then s="round $(wc -l < "$work/$n/metrics.jsonl") (working copy)"
      elif [ -f "$kept/$n/metrics.jsonl" ]; then s="round $(wc -l < "$kept/$n/metrics.jsonl") (checkpoint kept)"
      else s="not started"; fi
      printf '%-28s %s\n' "$n" "$s"
    done ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
