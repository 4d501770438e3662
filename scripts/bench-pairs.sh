#!/usr/bin/env bash
# Alternating pairs, ours (`onnx-train bench`) against PyTorch, for one model and size; prints a markdown table
# (every pair, then the median ratio and its spread). Run it on an otherwise idle machine.
#
#   scripts/bench-pairs.sh [--model gvsl-train] [--size 64] [--pairs 6] [--threads 2] [--runs 3]
#                          [--warmup 3] [--chan 32,64,128,256,512,256,128,64,32] [--classes 2] [--out DIR]
#
# Pair i runs ours first when i is odd and PyTorch first when i is even. Our side: `node bin/onnx-train.js bench`
# of this checkout (build first: npm run build), with --warmup (3 by default: ORT's training graphs need ~3
# runs to reach their steady state; inference is steady after one). PyTorch's side: ../shared/reference/
# bench_torch.py for the GVSL and U-Net models (its own single warm-up), scripts/bench_torch_seg.py for
# seg-train and seg (same --warmup as ours). Environment: TORCH_PY (default /work/main/python/.venv/bin/python,
# else python3), TORCH_REF (default ../shared/reference/bench_torch.py). Raw JSON lines go to DIR (default a
# fresh temporary folder) as ours.jsonl and torch.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=gvsl-train SIZE=64 PAIRS=6 THREADS=2 RUNS=3 WARMUP=3 CHAN=32,64,128,256,512,256,128,64,32 CLASSES=2 OUT=
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$2 ;; --size) SIZE=$2 ;; --pairs) PAIRS=$2 ;; --threads) THREADS=$2 ;; --runs) RUNS=$2 ;;
    --warmup) WARMUP=$2 ;; --chan) CHAN=$2 ;; --classes) CLASSES=$2 ;; --out) OUT=$2 ;;
    *) echo "bench-pairs.sh: unknown option $1 (see the header of $0)" >&2; exit 1 ;;
  esac
  shift 2
done
PY=${TORCH_PY:-/work/main/python/.venv/bin/python}
[ -x "$PY" ] || PY=python3
REF=${TORCH_REF:-../shared/reference/bench_torch.py}
case "$MODEL" in
  gvsl-train) TORCH=("$REF" --mode train) ;;
  gvsl) TORCH=("$REF" --mode forward) ;;
  unet) TORCH=("$REF" --mode unet-forward) ;;
  unet-train) TORCH=("$REF" --mode unet-train) ;;
  seg-train | seg) TORCH=(scripts/bench_torch_seg.py --mode "$MODEL" --classes "$CLASSES" --warmup "$WARMUP") ;;
  *) echo "bench-pairs.sh: --model must be gvsl-train, gvsl, unet, unet-train, seg-train or seg, got $MODEL" >&2; exit 1 ;;
esac
[ -f "${TORCH[0]}" ] || { echo "bench-pairs.sh: the PyTorch script ${TORCH[0]} is missing (set TORCH_REF)" >&2; exit 1; }
[ -f dist/runtime/bench/child.js ] || { echo "bench-pairs.sh: build first (npm run build)" >&2; exit 1; }
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
OURS=(node bin/onnx-train.js bench --model "$MODEL" --size "$SIZE" --chan "$CHAN" --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP")
[[ $MODEL == seg* ]] && OURS+=(--classes "$CLASSES")
TORCH+=(--size "$SIZE" --chan "$CHAN" --threads "$THREADS" --runs "$RUNS")

ours() { "${OURS[@]}" 2>/dev/null >>"$OUT/ours.jsonl"; }
torch() { "$PY" "${TORCH[@]}" >>"$OUT/torch.jsonl"; }
: >"$OUT/ours.jsonl"
: >"$OUT/torch.jsonl"
for i in $(seq "$PAIRS"); do
  echo "pair $i/$PAIRS (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if [ $((i % 2)) -eq 1 ]; then ours; torch; else torch; ours; fi
done

node - "$OUT" "$MODEL" "$SIZE" <<'JS'
const fs = require('fs');
const [dir, model, size] = process.argv.slice(2);
const read = (f) => fs.readFileSync(`${dir}/${f}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const ours = read('ours.jsonl');
const torch = read('torch.jsonl');
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const f = (x, d = 3) => x.toFixed(d);
const m0 = ours[0].machine;
console.log(`${model} ${size}³, ${ours[0].threads} threads, ${ours[0].runs} timed runs per side (ours after ${ours[0].warmup} warm-up(s)), ${ours.length} alternating pairs`);
console.log(`machine: ${m0.cpu}, ${m0.logical_cpus} logical CPUs, ${m0.cpu_mhz} MHz, ${m0.simd_fp32_lanes} fp32 lanes; ${ours[0].impl} vs ${torch[0].impl}; ${new Date().toISOString()}`);
console.log('');
console.log('| pair | first | load before | ours s (min–max) | PyTorch s (min–max) | ratio | peak RSS ours / PyTorch MiB | GFLOP/s ours | of fp32 peak |');
console.log('|---|---|---|---|---|---|---|---|---|');
const ratios = [];
ours.forEach((o, i) => {
  const t = torch[i];
  const r = o.median_s / t.median_s;
  ratios.push(r);
  const frac = o.peak_fraction == null ? '–' : `${(100 * o.peak_fraction).toFixed(1)} %`;
  console.log(`| ${i + 1} | ${i % 2 ? 'PyTorch' : 'ours'} | ${o.load_avg[0]} | ${f(o.median_s)} (${f(o.min_s)}–${f(o.max_s)}) | ${f(t.median_s)} (${f(t.min_s)}–${f(t.max_s)}) | ${f(r, 2)} | ${o.peak_rss_mib} / ${t.peak_rss_mib} | ${f(o.gflops_per_s, 0)} | ${frac} |`);
});
const rs = [...ratios].sort((a, b) => a - b);
console.log('');
console.log(`**median ratio ${f(med(ratios), 2)}** (spread ${f(rs[0], 2)}–${f(rs[rs.length - 1], 2)} over ${ratios.length} pairs); ` +
  `median ours ${f(med(ours.map((o) => o.median_s)))} s, PyTorch ${f(med(torch.map((t) => t.median_s)))} s; ` +
  `peak RSS ratio ${f(med(ours.map((o, i) => o.peak_rss_mib / torch[i].peak_rss_mib)), 2)}; ` +
  `ours at ${f(med(ours.map((o) => o.gflops_per_s)), 0)} GFLOP/s = ${ours[0].peak_fraction == null ? '?' : (100 * med(ours.map((o) => o.peak_fraction))).toFixed(1)} % of the fp32 peak ` +
  `(${ours[0].fp32_peak_gflops == null ? '?' : f(ours[0].fp32_peak_gflops, 0)} GFLOP/s for ${ours[0].threads} cores); load average ${Math.min(...ours.map((o) => o.load_avg[0]))}–${Math.max(...ours.map((o) => o.load_avg[1]))}`);
JS
