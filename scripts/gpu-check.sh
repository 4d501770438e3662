#!/usr/bin/env bash
# One prepared check for a machine with an NVIDIA GPU (docs/gpus.md, "scripts/gpu-check.sh"). It prints what the machine has, sets up
# Node.js from tmp/gpu-carry/bundle.tar.xz when the machine has none (make it here with scripts/gpu-bundle.sh
# and carry `tmp/gpu-carry`), then runs, on every GPU execution provider that works (webgpu, cuda):
#   1. parity: scripts/gpu-parity.ts (against the PyTorch fixture when shared/fixtures is there, else vs the CPU EP)
#   2. `onnx-train bench` of gvsl-train and gvsl at 64³ and 128³ (official widths)
#   3. the PyTorch reference, shared/reference/bench_torch.py --device cuda, same modes and sizes
#   and, after the parity step, the distributed rank runner (python/gvsl_onnx_dist, docs/distributed.md): one
#   prepared run (16³ tiny widths, global batch 2 in 2 micro-batches, 5 steps) on the CPU EP with gloo and with
#   torchrun at world size 1 on the CUDA EP with NCCL and IO binding, compared (gvsl_onnx_dist.compare); then 5
#   steps at official widths 64³ on CUDA for the step and all-reduce times (dist-*.log, dist.jsonl)
# and prints one table. Every step has its own timeout and the whole check stays inside GPU_CHECK_BUDGET
# seconds (default 540); a step that does not fit is skipped and says so.
#
#   bash scripts/gpu-check.sh                 # on the GPU machine
#   GPU_CHECK_CPU=1 bash scripts/gpu-check.sh # dry run on any machine: the same steps on the CPU EP (and WebGPU
#                                             # through SwiftShader when present), tiny widths, 16³ and 32³
# Files (logs, JSON lines, the table) go to $OUT when set (the device tool's folder), else tmp/gpu-check/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
RES=${OUT:-$ROOT/tmp/gpu-check}
mkdir -p "$RES"
exec > >(tee "$RES/gpu-check.log") 2>&1
START=$SECONDS
BUDGET=${GPU_CHECK_BUDGET:-540}
CPU_MODE=${GPU_CHECK_CPU:-0}

left() { echo $((BUDGET - (SECONDS - START))); }
say() { printf '\n== %s (%ss left)\n' "$*" "$(left)"; }
# step SECONDS CMD...: runs CMD with a timeout of SECONDS, cut to what the budget has left (exit 124 when it
# times out); exit 125 and a line on stderr when too little budget is left to start it.
step() {
  local t=$1; shift
  local l; l=$(( $(left) - 5 ))
  if [ "$l" -lt 10 ]; then echo "skipped (budget spent)" >&2; return 125; fi
  [ "$t" -gt "$l" ] && t=$l
  timeout -k 5 "$t" "$@"
}

if [ "$CPU_MODE" = 1 ]; then
  SIZES="16 32"; CHAN=8,8,8,8,16,8,8,8,16; TORCH_DEVICE=cpu; RUNS=1
else
  SIZES="64 128"; CHAN=32,64,128,256,512,256,128,64,32; TORCH_DEVICE=cuda; RUNS=3
fi

say "machine"
uname -srm
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
command -v nvcc >/dev/null && nvcc --version | tail -1
# The python3 that has PyTorch (on the GPU machines, plain python3; on Debian, /usr/bin/python3 with python3-torch).
PY=""
for p in python3 /usr/bin/python3; do command -v "$p" >/dev/null && "$p" -c 'import torch' 2>/dev/null && { PY=$(command -v "$p"); break; }; done
[ -z "$PY" ] && PY=$(command -v python3 || true)
if [ -n "$PY" ]; then
  "$PY" --version
  "$PY" - <<'EOF' 2>&1 | sed 's/^/  /'
try:
    import onnxruntime as o; print('python onnxruntime', o.__version__, o.get_available_providers())
except Exception as e: print('python onnxruntime: none', e)
try:
    import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())
except Exception as e: print('torch: none', e)
EOF
fi
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && echo "Vulkan loader: yes" || echo "Vulkan loader: not installed"

say "Node.js"
if [ -f tmp/gpu-carry/bundle.tar.xz ] && { ! command -v node >/dev/null || [ ! -d node_modules/onnxruntime-node ] || [ ! -f dist/runtime/cli/main.js ]; }; then
  echo "unpacking tmp/gpu-carry/bundle.tar.xz"
  tar -xJf tmp/gpu-carry/bundle.tar.xz 2>/dev/null || "$PY" -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall('.')" tmp/gpu-carry/bundle.tar.xz
fi
[ -x .gpu/bin/node ] && export PATH=$ROOT/.gpu/bin:$PATH
[ -d .gpu/lib ] && export LD_LIBRARY_PATH=$ROOT/.gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! command -v node >/dev/null; then
  echo "no Node.js here and no tmp/gpu-carry/bundle.tar.xz: run scripts/gpu-bundle.sh where npm works and carry tmp/gpu-carry"
  NODE=""
else
  NODE=node
  node --version
  if [ ! -f dist/runtime/cli/main.js ] || [ ! -d node_modules/onnxruntime-node ]; then
    if [ -x node_modules/.bin/tsc ]; then npx tsc -p . >/dev/null; else echo "dist/ or node_modules/ missing and nothing to build them with"; NODE=""; fi
  fi
fi

# The NVIDIA Vulkan driver for Dawn (WebGPU), when the loader finds no ICD by itself.
if [ "$CPU_MODE" = 1 ]; then
  [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] && export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
elif [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_ICD_FILENAMES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

# onnxruntime-node's CUDA EP loads libonnxruntime_providers_{shared,cuda}.so from its own folder; no network here, so
# borrow them from a Python onnxruntime-gpu of the same version when there is one, with PyTorch's CUDA libraries.
say "execution providers"
EPS=""
if [ -n "$NODE" ]; then
  ORTDIR=$(dirname "$(node -p "require.resolve('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node')" 2>/dev/null)")
  if [ "$CPU_MODE" != 1 ] && [ ! -f "$ORTDIR/libonnxruntime_providers_cuda.so" ] && [ -n "$PY" ]; then
    CAPI=$("$PY" -c "import onnxruntime,os; print(os.path.join(os.path.dirname(onnxruntime.__file__),'capi'))" 2>/dev/null)
    PYV=$("$PY" -c "import onnxruntime; print(onnxruntime.__version__)" 2>/dev/null)
    NODEV=$(node -p "require('onnxruntime-node/package.json').version")
    if [ -n "$CAPI" ] && [ -f "$CAPI/libonnxruntime_providers_cuda.so" ] && [ "$PYV" = "$NODEV" ]; then
      ln -sf "$CAPI/libonnxruntime_providers_cuda.so" "$CAPI/libonnxruntime_providers_shared.so" "$ORTDIR/"
      NV=$("$PY" -c "import nvidia,os; print(':'.join(p for p in (os.path.join(os.path.dirname(nvidia.__path__[0]),'nvidia',d,'lib') for d in os.listdir(nvidia.__path__[0])) if os.path.isdir(p)))" 2>/dev/null)
      [ -n "$NV" ] && export LD_LIBRARY_PATH=$NV${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
      echo "CUDA EP: using the provider libraries of Python onnxruntime $PYV ($CAPI)"
    else
      echo "CUDA EP: no provider libraries (onnxruntime-node ships none; Python onnxruntime ${PYV:-absent} has ${CAPI:+no }CUDA EP of version $NODEV)"
    fi
  fi
  CANDIDATES="webgpu cuda"; [ "$CPU_MODE" = 1 ] && CANDIDATES="cpu webgpu"
  for ep in $CANDIDATES; do
    [ "$CPU_MODE" = 1 ] && [ "$ep" = webgpu ] && [ -z "${VK_ICD_FILENAMES:-}" ] && continue
    if step 120 node -e "
      const { createSession, runSession } = require('./dist/runtime/engine/ort');
      const { exportModel } = require('./dist/sdk/export'); const { Graph } = require('./dist/sdk/graph'); const ops = require('./dist/sdk/ops');
      const g = new Graph('probe'); const x = g.input('x', 'float32', [1, 1, 4, 4, 4]); g.output('y', ops.mul(x, x));
      createSession(exportModel(g).model, { ep: '$ep', noCpuFallback: true })
        .then((s) => runSession(s, { x: { dtype: 'float32', shape: [1, 1, 4, 4, 4], data: new Float32Array(64).fill(3) } }))
        .then((o) => { if (o.y.data[0] !== 9) throw new Error('wrong result ' + o.y.data[0]); })
        .catch((e) => { console.error(e.message.split('\n')[0]); process.exit(1); });" >"$RES/probe-$ep.txt" 2>&1; then
      EPS="$EPS $ep"; echo "$ep: works"
    else
      echo "$ep: not available: $(grep -v '^\s*$' "$RES/probe-$ep.txt" | grep -v XDG_RUNTIME | tail -1 | cut -c1-300)"
    fi
  done
fi
echo "execution providers to check:${EPS:- none}"

SHARED=""
for d in shared ../shared tmp/gpu-carry/shared; do [ -f "$d/reference/bench_torch.py" ] && { SHARED=$d; break; }; done
FIXTURE=""
[ -n "$SHARED" ] && [ -f "$SHARED/fixtures/gvsl-half-24x32x40/case.safetensors" ] && FIXTURE=$SHARED/fixtures/gvsl-half-24x32x40

: >"$RES/parity.jsonl"
say "1. parity${FIXTURE:+ against $FIXTURE}"
for ep in $EPS; do
  [ "$ep" = cpu ] && [ -z "$FIXTURE" ] && continue
  fix=$FIXTURE
  # SwiftShader is ~75x slower than the CPU: the dry run checks WebGPU on a 16³ tiny model against the CPU EP.
  [ "$CPU_MODE" = 1 ] && [ "$ep" = webgpu ] && fix=""
  step 150 node dist/scripts/gpu-parity.js --ep "$ep" ${fix:+--fixture "$fix"} --size 16 >>"$RES/parity.jsonl" 2>"$RES/parity-$ep.err"
  rc=$?
  echo "$ep: exit $rc $( [ $rc = 124 ] && echo '(timed out) ')$(grep -v XDG_RUNTIME "$RES/parity-$ep.err" | tail -1 | cut -c1-300)"
done
cat "$RES/parity.jsonl"

say "1b. distributed runner: world size 1, NCCL + CUDA IO binding vs CPU + gloo"
: >"$RES/dist.jsonl"
# The runner from the checkout (no install needed): python/ on PYTHONPATH; torch and onnxruntime(-gpu) from $PY.
if [ -z "$NODE" ] || [ -z "$PY" ] || ! "$PY" -c 'import torch, onnxruntime' 2>/dev/null; then
  echo "skipped: needs Node.js and a python3 with torch and onnxruntime"
else
  export PYTHONPATH=$ROOT/python${PYTHONPATH:+:$PYTHONPATH}
  DD=$RES/dist; rm -rf "$DD"; mkdir -p "$DD"
  DPORT=$(( 29500 + RANDOM % 2000 ))
  if [ "$CPU_MODE" = 1 ]; then DEP=cpu; else DEP=cuda; fi
  if step 90 node bin/onnx-train.js distributed prepare --size 16 --chan 8,8,8,8,16,8,8,8,16 --batch 2 --micro-batch 1 --steps 5 --save-every 5 --lr 1e-3 --quiet --out "$DD/cpu" >"$RES/dist-prepare.log" 2>&1; then
    cp -r "$DD/cpu" "$DD/$DEP-nccl"
    step 120 env OMP_NUM_THREADS=2 "$PY" -m gvsl_onnx_dist.run "$DD/cpu" --ep cpu --threads 2 --nodejs "$(command -v node)" --cli "$ROOT/bin/onnx-train.js" >"$RES/dist-cpu.log" 2>&1
    echo "cpu + gloo: exit $? $(grep -E '^summary|gvsl_onnx_dist:' "$RES/dist-cpu.log" | tail -1 | cut -c1-300)"
    step 150 "$PY" -m torch.distributed.run --nnodes 1 --nproc-per-node 1 --master-addr 127.0.0.1 --master-port "$DPORT" \
      -m gvsl_onnx_dist.run "$DD/$DEP-nccl" --ep "$DEP" --nodejs "$(command -v node)" --cli "$ROOT/bin/onnx-train.js" >"$RES/dist-$DEP.log" 2>&1
    echo "$DEP + $( [ "$DEP" = cuda ] && echo nccl || echo gloo ) (torchrun, world 1): exit $? $(grep -E '^summary|gvsl_onnx_dist:' "$RES/dist-$DEP.log" | tail -1 | cut -c1-300)"
    "$PY" -m gvsl_onnx_dist.compare "$DD/$DEP-nccl" "$DD/cpu" | tee -a "$RES/dist.jsonl"
    if [ "$DEP" = cuda ]; then
      # Official widths at 64³, batch 1: the GPU step time that docs/distributed.md's scaling estimate needs.
      if step 120 node bin/onnx-train.js distributed prepare --size 64 --batch 1 --micro-batch 1 --steps 6 --save-every 100 --quiet --out "$DD/official" >>"$RES/dist-prepare.log" 2>&1; then
        step 150 "$PY" -m torch.distributed.run --nnodes 1 --nproc-per-node 1 --master-addr 127.0.0.1 --master-port "$((DPORT + 1))" \
          -m gvsl_onnx_dist.run "$DD/official" --ep cuda --nodejs "$(command -v node)" --cli "$ROOT/bin/onnx-train.js" >"$RES/dist-official.log" 2>&1
        echo "official widths 64³ on cuda: exit $? $(grep -E '^summary|gvsl_onnx_dist:' "$RES/dist-official.log" | tail -1 | cut -c1-300)"
        grep -h '"step"' "$DD/official/metrics.jsonl" 2>/dev/null | tail -5 | tee -a "$RES/dist.jsonl"
      fi
    fi
  else
    echo "distributed prepare failed: $(tail -1 "$RES/dist-prepare.log")"
  fi
fi

: >"$RES/ours.jsonl"
: >"$RES/torch.jsonl"
: >"$RES/status.txt"
say "2. onnx-train bench"
# No buffer check before the run (--max-buffer-mib 1048576): the adapter's limits cannot be read from Node, so let
# the run show what this GPU holds; ORT's own errors come back rephrased.
for size in $SIZES; do
  for model in gvsl-train gvsl; do
    for ep in $EPS; do
      [ "$ep" = cpu ] && [ "$CPU_MODE" != 1 ] && continue
      err="$RES/bench-$model-$size-$ep.err"
      step 150 node bin/onnx-train.js bench --model "$model" --size "$size" --chan "$CHAN" --ep "$ep" --warmup 1 --runs "$RUNS" --max-buffer-mib 1048576 >>"$RES/ours.jsonl" 2>"$err"
      rc=$?
      if [ $rc = 0 ]; then echo "$model $size³ $ep: ok"; else
        if [ $rc = 124 ]; then msg="timed out"; elif [ $rc = 125 ]; then msg="skipped (budget spent)"; else msg=$(grep -v XDG_RUNTIME "$err" | grep -v '^\s*$' | tail -1 | cut -c1-200); fi
        echo "$model $size³ $ep: failed: $msg"
        printf '%s\t%s\t%s\t%s\n' "$model" "$size" "$ep" "$msg" >>"$RES/status.txt"
      fi
    done
  done
done

say "3. PyTorch reference (bench_torch.py --device $TORCH_DEVICE)"
if [ -z "$SHARED" ] || [ -z "$PY" ]; then echo "skipped: no shared/reference/bench_torch.py or no python3"; else
  for size in $SIZES; do
    for mode in train forward; do
      step 120 "$PY" "$SHARED/reference/bench_torch.py" --mode "$mode" --size "$size" --chan "$CHAN" --runs "$RUNS" --device "$TORCH_DEVICE" >>"$RES/torch.jsonl" 2>"$RES/torch-$mode-$size.err" \
        && echo "$mode $size³: ok" || echo "$mode $size³: failed: $(tail -1 "$RES/torch-$mode-$size.err" | cut -c1-200)"
    done
  done
fi

say "table"
"${PY:-python3}" - "$RES" <<'EOF' | tee "$RES/table.md"
import json, os, sys
res = sys.argv[1]
def lines(f):
    p = os.path.join(res, f)
    return [json.loads(l) for l in open(p) if l.strip().startswith('{')] if os.path.exists(p) else []
torch = {(r['mode'], r['size'][0]): r for r in lines('torch.jsonl')}
mode = {'gvsl-train': 'train', 'gvsl': 'forward'}
failed = [l.rstrip('\n').split('\t') for l in open(os.path.join(res, 'status.txt'))] if os.path.exists(os.path.join(res, 'status.txt')) else []
rows = []
for r in lines('ours.jsonl'):
    t = torch.get((mode[r['model']], r['size'][0]))
    rows.append((r['model'], r['size'][0], r['ep'], f"{r['median_s']:.3f}", f"{t['median_s']:.3f}" if t else '–', f"{r['median_s'] / t['median_s']:.2f}" if t else '–', ''))
for m, s, ep, msg in failed:
    t = torch.get((mode[m], int(s)))
    rows.append((m, int(s), ep, 'failed', f"{t['median_s']:.3f}" if t else '–', '–', msg[:120]))
for (m, s), t in sorted(torch.items()):
    if not any(r[1] == s and mode[r[0]] == m for r in rows):
        rows.append(({v: k for k, v in mode.items()}[m], s, '–', '–', f"{t['median_s']:.3f}", '–', 'no EP ran'))
print('| model | size | EP | ours s (median) | PyTorch s (median) | ours / PyTorch | note |')
print('|---|---|---|---|---|---|---|')
for r in sorted(rows, key=lambda r: (r[1], r[0], r[2])):
    print('| ' + ' | '.join([r[0], f"{r[1]}³", *map(str, r[2:])]) + ' |')
par = lines('parity.jsonl')
if par:
    bad = [p for p in par if not p['ok']]
    print(f"\nparity: {len(par) - len(bad)}/{len(par)} checks within tolerance" + ''.join(f"\n  FAILED {p['ep']} {p['check']}: {p['err']} > {p['tol']}" for p in bad))
EOF
echo "gpu-check: done in $((SECONDS - START)) s; files in $RES"
