#!/usr/bin/env bash
# The whole performance table of docs/performance.md in one quiet-machine session (issues 17 and 22): alternating
# pairs against PyTorch for every row, one after the other, each row's markdown into DIR/<row>.md and a summary
# of all rows into DIR/summary.md. Run it on an otherwise idle machine after `npm run build`; it takes ~40 min.
#
#   scripts/bench-session.sh [DIR] [--pairs 6] [--rows gvsl-train-64,gvsl-train-32,...]
#
# Rows: gvsl-train-64, gvsl-train-32, gvsl-64 (forward), unet-64 (forward), seg-train-64, gvsl-train-96 (one pair,
# for peak memory), resnet, transformer (the SDK examples, examples/bench-examples.ts against
# scripts/bench_torch_examples.py).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-bench-session-$(date -u +%Y%m%dT%H%M)}
[ $# -gt 0 ] && shift
PAIRS=6
ROWS=gvsl-train-64,gvsl-train-32,gvsl-64,unet-64,seg-train-64,resnet,transformer,gvsl-train-96
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) PAIRS=$2 ;; --rows) ROWS=$2 ;;
    *) echo "bench-session.sh: unknown option $1 (see the header of $0)" >&2; exit 1 ;;
  esac
  shift 2
done
PY=${TORCH_PY:-/work/main/python/.venv/bin/python}
[ -f dist/examples/bench-examples.js ] || { echo "bench-session.sh: build first (npm run build)" >&2; exit 1; }
mkdir -p "$DIR"
: >"$DIR/summary.md"

examples() { # alternating pairs of the SDK examples' training step
  local model=$1 out="$DIR/$1"
  mkdir -p "$out"; : >"$out/ours.jsonl"; : >"$out/torch.jsonl"
  for i in $(seq "$PAIRS"); do
    echo "$model pair $i/$PAIRS (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    local o=(node dist/examples/bench-examples.js --model "$model") t=("$PY" scripts/bench_torch_examples.py --model "$model")
    if [ $((i % 2)) -eq 1 ]; then "${o[@]}" >>"$out/ours.jsonl"; "${t[@]}" >>"$out/torch.jsonl"
    else "${t[@]}" >>"$out/torch.jsonl"; "${o[@]}" >>"$out/ours.jsonl"; fi
  done
  node - "$out" "$model" <<'JS'
const fs = require('fs');
const [dir, model] = process.argv.slice(2);
const read = (f) => fs.readFileSync(`${dir}/${f}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const [ours, torch] = [read('ours.jsonl'), read('torch.jsonl')];
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const r = ours.map((o, i) => o.median_s / torch[i].median_s);
console.log(`${model}: ours ${ours.map((o) => o.median_s.toFixed(3)).join(', ')} s; ${torch[0].impl} ${torch.map((t) => t.median_s.toFixed(3)).join(', ')} s; ` +
  `**median ratio ${med(r).toFixed(2)}** (spread ${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)} over ${r.length} pairs)`);
JS
}

IFS=, read -ra LIST <<<"$ROWS"
for row in "${LIST[@]}"; do
  echo "== $row ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  case "$row" in
    resnet | transformer) examples "$row" >"$DIR/$row.md" ;;
    gvsl-train-96) scripts/bench-pairs.sh --model gvsl-train --size 96 --pairs 1 --runs 1 --out "$DIR/$row" >"$DIR/$row.md" ;;
    *-[0-9]*) scripts/bench-pairs.sh --model "${row%-*}" --size "${row##*-}" --pairs "$PAIRS" --out "$DIR/$row" >"$DIR/$row.md" ;;
    *) echo "bench-session.sh: unknown row $row" >&2; exit 1 ;;
  esac
  { echo "### $row"; echo; cat "$DIR/$row.md"; echo; } >>"$DIR/summary.md"
done
echo "done: $DIR/summary.md" >&2
