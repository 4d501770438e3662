/**
 * Peak memory of one GVSL training step against the size of the forward activations.
 *
 *   npx tsc -p . && node dist/scripts/measure-memory.js --chan 16,32,64,128,256,128,64,32,16 --size 32
 *     [--batch 1] [--no-arena] [--opt all|extended|basic|disabled] [--threads N]
 *
 * The parent builds the training graph (graphs/build.ts) and, separately, the forward loss graph alone, whose
 * node outputs summed (numel · bytes) are the forward activations. It writes both models to temporary files
 * and runs ONE training step, then (for comparison) the forward loss graph once, each in a fresh child process
 * (so nothing of the graph building counts) that reports its peak RSS (process.resourceUsage().maxRSS).
 * Prints one JSON line:
 *   activationBytes  sum of the bytes of every forward node output (loss graph, no backward, no optimizer)
 *   paramBytes       parameters (the step also holds 2 Adam moments and the 3 updated tensors)
 *   baseRssBytes     child RSS with onnxruntime-node loaded, before the session is created
 *   sessionRssBytes  child RSS once the session is created and the step's inputs are built
 *   peakRssBytes     child peak RSS over the whole run (session creation and the step)
 *   ratio            peakRssBytes / activationBytes
 *   stepRatio        (peakRssBytes − baseRssBytes) / activationBytes: what the session and the step add
 *   forwardPeakRssBytes, trainOverForward  the forward-only run's peak RSS, and the ratio of what the step
 *                    and the forward run add over the base RSS
 * NOTE: activationBytes counts every forward intermediate, also the transient ones (GroupNorm, warp and loss
 * temporaries) that ORT frees as soon as the forward no longer needs them, so it overstates what is alive at once.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BYTES } from '../sdk/dtype';
import { exportModel } from '../sdk/export';
import { liveNodes } from '../sdk/graph';
import { Graph } from '../sdk/graph';
import { buildGvslTrainGraph, GVSL, type VolumeShape } from '../graphs/build';
import { gvslLosses } from '../graphs/gvsl';
import { parseWidths, type Widths } from '../graphs/unet';
import { createSession, runSession } from '../runtime/engine/ort';
import { TrainingSession } from '../runtime/engine/session';

interface Args {
  chan: Widths;
  size: [number, number, number];
  batch: number;
  noArena: boolean;
  opt: 'disabled' | 'basic' | 'extended' | 'all';
  threads?: number;
}

function parseArgs(argv: string[]): Args & { child?: string } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const size = (get('size') ?? '32').split(',').map(Number);
  const sp = size.length === 1 ? [size[0], size[0], size[0]] : size;
  if (sp.length !== 3 || sp.some((s) => !Number.isInteger(s) || s <= 0))
    throw new Error(`--size needs S or D,H,W, got '${get('size')}'`);
  const opt = (get('opt') ?? 'all') as Args['opt'];
  if (!['disabled', 'basic', 'extended', 'all'].includes(opt)) throw new Error(`--opt: unknown level '${opt}'`);
  return {
    chan: parseWidths(get('chan') ?? '16,32,64,128,256,128,64,32,16'),
    size: sp as [number, number, number],
    batch: Number(get('batch') ?? 1),
    noArena: argv.includes('--no-arena'),
    opt,
    threads: get('threads') ? Number(get('threads')) : undefined,
    child: get('child'),
  };
}

const shapeOf = (a: Args): VolumeShape => [a.batch, 1, ...a.size];

/** The forward loss graph alone (no backward, no optimizer), and the sum of numel · bytes of its node outputs. */
function forwardGraph(a: Args): { graph: Graph; activationBytes: number } {
  const g = new Graph('gvsl_loss');
  const shape = shapeOf(a);
  const l = gvslLosses(
    new GVSL(1, a.chan),
    g.input('img_aug', 'float32', shape),
    g.input('img', 'float32', shape),
    g.input('img2', 'float32', shape),
  );
  g.output('loss', l.loss);
  let activationBytes = 0;
  for (const n of liveNodes(g, [l.loss])) for (const t of n.outputs) activationBytes += t.size * BYTES[t.dtype];
  return { graph: g, activationBytes };
}

/** Child: load the model, run one training step (or, with `forward`, the loss graph once), report RSS. */
async function child(a: Args, file: string, forward: boolean): Promise<void> {
  const baseRss = process.memoryUsage().rss;
  const shape = shapeOf(a);
  const n = shape.reduce((x, y) => x * y, 1);
  // A smooth volume pair (values in [0, 1]), so the step does real, finite work.
  const vol = (phase: number) => {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = 0.5 + 0.5 * Math.sin(i * 0.013 + phase);
    return { dtype: 'float32' as const, shape: [...shape], data: d };
  };
  const params = new GVSL(1, a.chan).initStateDict(0);
  const options = { noArena: a.noArena, graphOptimizationLevel: a.opt, threads: a.threads };
  const batch = { img_aug: vol(0.3), img: vol(0), img2: vol(1) };
  let run: () => Promise<number>;
  let release: () => Promise<void>;
  if (forward) {
    const s = await createSession(file, options);
    const feeds = { ...batch, ...Object.fromEntries(params) };
    run = async () => Number((await runSession(s, feeds)).loss.data[0]);
    release = () => s.release();
  } else {
    const s = await TrainingSession.create(file, params, options);
    run = async () => (await s.step(batch, 1e-4)).loss;
    release = () => s.release();
  }
  const sessionRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const loss = await run();
  const stepMs = performance.now() - t0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  await release();
  process.stdout.write(`${JSON.stringify({ baseRss, sessionRss, peakRss, stepMs, loss })}\n`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return child(a, a.child, process.argv.includes('--forward'));

  const model = new GVSL(1, a.chan);
  const { graph } = buildGvslTrainGraph(model, shapeOf(a));
  const exported = exportModel(graph, { params: 'inputs' });
  const fwd = forwardGraph(a);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gvsl-mem-'));
  const trainFile = path.join(dir, 'train.onnx');
  const forwardFile = path.join(dir, 'forward.onnx');
  fs.writeFileSync(trainFile, exported.model);
  fs.writeFileSync(forwardFile, exportModel(fwd.graph, { params: 'inputs' }).model);
  let paramBytes = 0;
  for (const [, s] of model.namedParameters()) paramBytes += s.shape.reduce((x, y) => x * y, 1) * BYTES[s.dtype];

  const measure = (file: string, extra: string[]) => {
    const r = spawnSync(process.execPath, [__filename, ...process.argv.slice(2), '--child', file, ...extra], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0)
      throw new Error(`the measuring process failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  let c;
  let f;
  try {
    c = measure(trainFile, []);
    f = measure(forwardFile, ['--forward']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const round = (v: number) => Math.round(v * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({
      chan: a.chan.join(','),
      size: a.size.join(','),
      batch: a.batch,
      arena: !a.noArena,
      opt: a.opt,
      dslNodes: graph.nodes.length,
      onnxNodes: exported.nodeCount,
      activationBytes: fwd.activationBytes,
      paramBytes,
      baseRssBytes: c.baseRss,
      sessionRssBytes: c.sessionRss,
      peakRssBytes: c.peakRss,
      ratio: round(c.peakRss / fwd.activationBytes),
      stepRatio: round((c.peakRss - c.baseRss) / fwd.activationBytes),
      forwardPeakRssBytes: f.peakRss,
      trainOverForward: round((c.peakRss - c.baseRss) / (f.peakRss - f.baseRss)),
      stepMs: Math.round(c.stepMs),
      forwardMs: Math.round(f.stepMs),
      loss: c.loss,
      forwardLoss: f.loss,
    })}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
