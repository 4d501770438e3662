/**
 * Symbolic dims end to end: a conv + GroupNorm + pooling + upsampling + Linear net built once with
 * ['N', 2, 'D', 'H', 'W'], exported once, run in ORT at two batch sizes and two volume sizes, against the static
 * graph built at each size with the same weights; gradients of a symbolic-batch graph likewise; and the
 * build-time errors for dims that cannot be shown equal.
 */
import { grad } from '../../sdk/autodiff';
import type { Dim } from '../../sdk/dim';
import { BuildError } from '../../sdk/errors';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import { buildTrainStep } from '../../sdk/train';
import * as nn from '../../sdk/nn';
import { onnx } from '../../sdk/onnx/generated/onnx';
import { add, concat, conv, gather, matmul, mean, mul, reduceMean, reshape, scatterElements } from '../../sdk/ops';
import type { NamedArray, StateDict } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { createSession, runSession } from '../../runtime/engine/ort';
import { checkRecordedModels, haveOnnxChecker, recordModel } from '../helpers/onnx-checker';
import { Rng } from '../helpers/rng';

/** Conv3d → GroupNorm → LeakyReLU → MaxPool3d → strided conv → GroupNorm → Upsample ×2 → global mean → Linear. */
class TinyNet extends nn.Module {
  readonly conv1 = this.addModule('conv1', new nn.Conv3d(2, 8, 3, { padding: 1 }));
  readonly gn1 = this.addModule('gn1', new nn.GroupNorm(2, 8));
  readonly act = this.addModule('act', new nn.LeakyReLU(0.1));
  readonly pool = this.addModule('pool', new nn.MaxPool3d(2));
  readonly conv2 = this.addModule('conv2', new nn.Conv3d(8, 8, 3, { padding: 1, stride: 2 }));
  readonly gn2 = this.addModule('gn2', new nn.GroupNorm(4, 8));
  readonly up = this.addModule('up', new nn.Upsample(2, 'trilinear', true));
  readonly fc = this.addModule('fc', new nn.Linear(8, 3));

  forward(x: Tensor): Tensor {
    let h = this.pool.call(this.act.call(this.gn1.call(this.conv1.call(x))));
    h = this.up.call(this.act.call(this.gn2.call(this.conv2.call(h))));
    return this.fc.call(reduceMean(h, [2, 3, 4]));
  }
}

const net = new TinyNet();
const weights: StateDict = net.initStateDict(7);

function volume(shape: number[], seed: number): NamedArray {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from(rng.array(n, -1, 1)) };
}

async function runModel(model: Uint8Array, feeds: Record<string, NamedArray>[]): Promise<Record<string, NamedArray>[]> {
  const s = await createSession(model, { threads: 1, graphOptimizationLevel: 'basic' });
  try {
    const out = [];
    for (const f of feeds) out.push(await runSession(s, f));
    return out;
  } finally {
    await s.release();
  }
}

function maxRelErr(a: NamedArray, b: NamedArray): number {
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    worst = Math.max(worst, Math.abs(x - y) / (1e-6 + Math.abs(y)));
  }
  return worst;
}

/** The net's inference graph on an input of `dims`; with `withGrads`, the gradients of mean(y²) too. */
function buildNet(dims: readonly Dim[], withGrads = false): Graph {
  const g = new Graph('tiny');
  const x = g.input('x', 'float32', dims);
  const y = net.call(x);
  g.output('y', y);
  if (withGrads) {
    const params = [...g.params.values()];
    grad(mean(mul(y, y)), params).forEach((d, i) => g.output(`d_${params[i].name}`, d));
  }
  return g;
}

function exportNet(g: Graph, withGrads = false): Uint8Array {
  const m = exportModel(g, withGrads ? { params: 'inputs' } : { weights }).model;
  recordModel(g.name, m);
  return m;
}

const SIZES = [
  [1, 2, 8, 8, 8],
  [7, 2, 8, 12, 6],
  [3, 2, 6, 8, 10],
];

test('one file with symbolic N, D, H, W runs at several sizes and equals the static graphs', async () => {
  const sym = exportNet(buildNet(['N', 2, 'D', 'H', 'W']));
  const feeds = SIZES.map((s, i) => ({ x: volume(s, i) }));
  const got = await runModel(sym, feeds);
  for (let i = 0; i < SIZES.length; i++) {
    const [want] = await runModel(exportNet(buildNet(SIZES[i])), [feeds[i]]);
    expect(got[i].y.shape).toEqual([SIZES[i][0], 3]);
    expect(maxRelErr(got[i].y, want.y)).toBeLessThan(1e-5);
  }
});

test('the exported inputs and outputs carry the symbols as dim_param', () => {
  const m = onnx.ModelProto.decode(exportNet(buildNet(['N', 2, 'D', 'H', 'W'])));
  const dims = (v: onnx.IValueInfoProto) =>
    v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  expect(dims(m.graph!.input![0])).toEqual(['N', 2, 'D', 'H', 'W']);
  expect(dims(m.graph!.output![0])).toEqual(['N', 3]);
  // Nothing in the graph bakes a batch size: GroupNorm's reshapes read it (or copy it with 0).
  const gnShapes = m.graph!.node!.filter((n) => n.opType === 'Reshape' && n.name!.startsWith('gn'));
  expect(gnShapes.length).toBeGreaterThan(0);
});

test('gradients of a symbolic-batch graph at batch 1 and 5 equal the static ones', async () => {
  const sym = exportNet(buildNet(['N', 2, 8, 8, 8], true), true);
  const params = Object.fromEntries([...weights].map(([k, v]) => [k, v]));
  const sizes = [
    [1, 2, 8, 8, 8],
    [5, 2, 8, 8, 8],
  ];
  const feeds = sizes.map((s, i) => ({ x: volume(s, 10 + i), ...params }));
  const got = await runModel(sym, feeds);
  for (let i = 0; i < sizes.length; i++) {
    const [want] = await runModel(exportNet(buildNet(sizes[i], true), true), [feeds[i]]);
    const names = Object.keys(want).filter((k) => k.startsWith('d_'));
    expect(names.length).toBe(weights.size);
    for (const k of names) expect(maxRelErr(got[i][k], want[k])).toBeLessThan(1e-4);
  }
});

test('a training step with a symbolic batch runs at batch 2 and 3 and equals the static steps', async () => {
  const build = (dims: readonly Dim[]) => {
    const g = new Graph('tiny_train');
    const y = net.call(g.input('x', 'float32', dims));
    const step = buildTrainStep(g, mean(mul(y, y)), {}, { optimizer: { kind: 'adam' } });
    return { g, step };
  };
  const sym = build(['N', 2, 8, 8, 8]);
  const model = exportNet(sym.g, true);
  const state: Record<string, NamedArray> = { lr: scalar(1e-3), step: scalar(1) };
  for (const [k, w] of weights) {
    state[k] = w;
    for (const s of sym.step.stateNames.get(k) ?? []) state[s] = { ...w, data: new Float32Array(w.data.length) };
  }
  const sizes = [
    [2, 2, 8, 8, 8],
    [3, 2, 8, 8, 8],
  ];
  const feeds = sizes.map((s, i) => ({ ...state, x: volume(s, 20 + i) }));
  const got = await runModel(model, feeds);
  for (let i = 0; i < sizes.length; i++) {
    const [want] = await runModel(exportNet(build(sizes[i]).g, true), [feeds[i]]);
    for (const k of Object.keys(want)) expect(maxRelErr(got[i][k], want[k])).toBeLessThan(1e-4);
  }
});

const scalar = (v: number): NamedArray => ({ dtype: 'float32', shape: [], data: Float32Array.of(v) });

describe('build-time errors for dims that cannot be shown equal', () => {
  const thrown = (f: () => unknown): Error => {
    try {
      f();
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected an error');
  };

  test('two different symbols, or a symbol against a number, where an op needs them equal', () => {
    const g = new Graph('e');
    const a = g.input('a', 'float32', ['N', 3]);
    const b = g.input('b', 'float32', ['M', 3]);
    const c = g.input('c', 'float32', [4, 3]);
    expect(thrown(() => add(a, b)).message).toBe(
      "Add at '<root>': shapes [N,3] and [M,3] do not broadcast (N against M: a symbolic dim broadcasts only against itself or 1) (inputs: A=float32[N,3], B=float32[M,3])",
    );
    expect(thrown(() => add(a, c)).message).toMatch(/N against 4/);
    expect(thrown(() => concat([a, b], 1)).message).toMatch(
      /^Concat at '<root>': shapes \[N,3\] and \[M,3\] differ outside axis 1/,
    );
    const k = g.input('k', 'float32', [2, 'K']);
    expect(thrown(() => matmul(k, g.input('w', 'float32', [3, 4]))).message).toMatch(
      /inner dimensions differ: \[\.\.,2,K\] x \[\.\.,3,4\]/,
    );
  });

  test('a broadcast of N against 1 or N is fine, and keeps N', () => {
    const g = new Graph('ok');
    const a = g.input('a', 'float32', ['N', 3]);
    expect(add(a, g.input('b', 'float32', [1, 3])).dims).toEqual(['N', 3]);
    expect(add(a, a).dims).toEqual(['N', 3]);
  });

  test('reshapes must keep the element count for every value of the symbols', () => {
    const g = new Graph('r');
    const x = g.input('x', 'float32', ['N', 6, 'H']);
    expect(reshape(x, ['N', -1]).dims).toEqual(['N', '6*H']);
    expect(reshape(reshape(x, ['N', -1]), ['N', 2, 3, 'H']).dims).toEqual(['N', 2, 3, 'H']);
    expect(thrown(() => reshape(x, ['N', 4, 'H'])).message).toMatch(
      /^Reshape at '<root>': cannot reshape \[N,6,H\] \(6\*H\*N elements\) to \[N,4,H\]/,
    );
  });

  test('a module names itself when it meets a dim it cannot take', () => {
    const g = new Graph('m');
    const gn = new nn.GroupNorm(2, 8);
    const x = g.input('x', 'float32', ['N', 'C', 4, 4]);
    expect(thrown(() => gn.call(x)).message).toMatch(
      /^GroupNorm at '.*': GroupNorm\(2, 8\) expects input \(N, 8, \*\), got float32\[N,C,4,4\]/,
    );
    const lin = new nn.Linear(8, 3);
    expect(thrown(() => lin.call(g.input('y', 'float32', ['N', 'F']))).message).toMatch(
      /^Linear at '.*': Linear\(in_features=8, out_features=3\) got input of shape \[N, F\]; its last axis must be 8/,
    );
  });

  test('code that needs a static shape says which tensor is symbolic, and the op and module path', () => {
    const g = new Graph('s');
    const x = g.input('x', 'float32', ['N', 4]);
    expect(thrown(() => x.size).message).toMatch(/'x' has symbolic dims \[N,4\] but its shape is needed as numbers/);
    const idx = g.input('i', 'int64', ['N', 4]);
    const e = thrown(() => g.scoped('blk', () => scatterElements(x, idx, x, { axis: 1 })));
    expect(e).toBeInstanceOf(BuildError);
    expect(e.message).toMatch(/^ScatterElements at 'blk': 'x' has symbolic dims \[N,4\]/);
    expect(thrown(() => g.input('bad', 'float32', ['2N', 3])).message).toMatch(/must be an identifier/);
  });

  test('gather keeps symbolic dims of data and indices', () => {
    const g = new Graph('g');
    const table = g.input('t', 'float32', [10, 4]);
    const idx = g.input('i', 'int64', ['N', 'T']);
    expect(gather(table, idx).dims).toEqual(['N', 'T', 4]);
    expect(conv).toBeDefined();
  });
});

test('the exported models pass ONNX full check', () => {
  if (!haveOnnxChecker()) return;
  expect(checkRecordedModels()).toEqual([]);
});
