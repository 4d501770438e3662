/**
 * Parity on an execution provider, for scripts/gpu-check.sh (plain Node on the compiled dist/, no jest):
 * `node dist/scripts/gpu-parity.js --ep webgpu [--fixture DIR] [--size 16]`.
 * With a PyTorch fixture (../shared/fixtures/gvsl-half-24x32x40, see test/gvsl-parity.test.ts): the gvsl outputs
 * and one training step's losses against PyTorch's, and the losses after 1 and 2 Adam steps. Without one: a tiny
 * GVSL on the EP against the same graphs on ORT's CPU EP (outputs; three training steps' losses and parameters).
 * Prints one JSON line per check: {ep, check, err, tol, ok}; exits 1 when a check fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGvslGraph, buildGvslTrainGraph, GVSL } from '../graphs/build';
import { parseWidths } from '../graphs/unet';
import { loadSafetensors } from '../runtime/checkpoint/safetensors';
import { createSession, type ExecutionProvider, runSession } from '../runtime/engine/ort';
import { TrainingSession } from '../runtime/engine/session';
import { exportModel } from '../sdk/export';
import type { NamedArray, StateDict } from '../sdk/state';
import { relErr } from '../test/helpers/compare';

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

let failed = false;
function report(ep: string, check: string, err: number, tol: number): void {
  const ok = err <= tol;
  if (!ok) failed = true;
  process.stdout.write(JSON.stringify({ ep, check, err: Number(err.toPrecision(3)), tol, ok }) + '\n');
}

const scalar = (a: NamedArray) => Number(a.data[0]);
const relScalar = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

async function againstFixture(ep: ExecutionProvider, dir: string): Promise<void> {
  const w = loadSafetensors(path.join(dir, 'weights.safetensors'));
  const c = loadSafetensors(path.join(dir, 'case.safetensors')).tensors;
  const model = new GVSL(1, parseWidths(w.metadata.chan), { geometry: 'official' });
  const shape = c.get('img')!.shape as [number, number, number, number, number];
  const s = await createSession(exportModel(buildGvslGraph(model, shape), { weights: w.tensors }).model, {
    ep,
    noCpuFallback: true,
  });
  const out = await runSession(s, { A: c.get('img_aug')!, B: c.get('img2')! });
  await s.release();
  for (const [ours, theirs] of [
    ['res_A', 'res'],
    ['aff_mat_BA', 'aff'],
    ['flow_BA', 'flow'],
    ['warp_BA', 'warp'],
  ])
    report(ep, `fixture ${ours}`, relErr(out[ours], c.get(theirs)!), 1e-4);
  const train = exportModel(buildGvslTrainGraph(model, shape).graph, { params: 'inputs' }).model;
  const t = await TrainingSession.create(train, w.tensors, { ep, noCpuFallback: true });
  const batch = { img_aug: c.get('img_aug')!, img: c.get('img')!, img2: c.get('img2')! };
  const steps = [];
  for (let k = 0; k < 3; k++) steps.push(await t.step(batch, 1e-4));
  await t.release();
  for (const [ours, theirs] of [
    ['loss', 'loss'],
    ['loss_ncc', 'ncc'],
    ['loss_mse', 'mse'],
    ['loss_smooth', 'smooth'],
  ])
    report(ep, `fixture step-1 ${ours}`, relScalar(steps[0][ours], scalar(c.get(theirs)!)), 1e-4);
  for (const k of [1, 2])
    report(
      ep,
      `fixture loss after ${k} Adam step(s)`,
      relScalar(steps[k].loss, scalar(c.get(`loss_after_adam.${k}`)!)),
      1e-3,
    );
}

async function againstCpu(ep: ExecutionProvider, size: number): Promise<void> {
  const model = new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16'));
  const weights = model.initStateDict(1);
  const shape = [1, 1, size, size, size] as const;
  const n = size ** 3;
  const vol = (f: (i: number) => number): NamedArray => ({
    dtype: 'float32',
    shape: [...shape],
    data: Float32Array.from({ length: n }, (_, i) => f(i)),
  });
  const A = vol((i) => 0.5 + 0.5 * Math.sin(i * 0.1));
  const B = vol((i) => 0.5 + 0.5 * Math.cos(i * 0.07));
  const m = exportModel(buildGvslGraph(model, shape), { weights }).model;
  const outs: Record<string, NamedArray>[] = [];
  for (const e of ['cpu', ep] as const) {
    const s = await createSession(m, { ep: e, noCpuFallback: e !== 'cpu' });
    outs.push(await runSession(s, { A, B }));
    await s.release();
  }
  for (const k of Object.keys(outs[0])) report(ep, `vs cpu ${k}`, relErr(outs[1][k], outs[0][k]), 1e-4);
  const train = exportModel(buildGvslTrainGraph(model, shape).graph, { params: 'inputs' }).model;
  const states: StateDict[] = [];
  const losses: number[][] = [];
  for (const e of ['cpu', ep] as const) {
    const t = await TrainingSession.create(train, weights, { ep: e, noCpuFallback: e !== 'cpu' });
    const l: number[] = [];
    // lr 1e-5: Adam's first steps move each parameter by ~lr·sign(g), and a sign can differ where |g| is at float-noise level.
    for (let k = 0; k < 3; k++) l.push((await t.step({ img_aug: A, img: A, img2: B }, 1e-5)).loss);
    losses.push(l);
    states.push(await t.getStateAsync());
    await t.release();
  }
  report(ep, 'vs cpu 3 training steps: loss', Math.max(...losses[0].map((v, i) => relScalar(losses[1][i], v))), 1e-4);
  let pErr = 0;
  for (const k of weights.keys()) {
    const a = states[0].get(k)!.data;
    const b = states[1].get(k)!.data;
    for (let i = 0; i < a.length; i++) pErr = Math.max(pErr, Math.abs(Number(a[i]) - Number(b[i])));
  }
  report(ep, 'vs cpu 3 training steps: parameters (max abs)', pErr, 1e-4);
}

async function main(): Promise<void> {
  const ep = arg('ep', 'cpu') as ExecutionProvider;
  const fixture = arg('fixture');
  if (fixture && fs.existsSync(path.join(fixture, 'case.safetensors'))) await againstFixture(ep, fixture);
  else await againstCpu(ep, Number(arg('size', '16')));
  process.exitCode = failed ? 1 : 0;
}

main().catch((e: Error) => {
  process.stderr.write(`gpu-parity: ${e.message.split('\n')[0]}\n`);
  process.exitCode = 2;
});
