/**
 * Every torch.nn module with a symbolic batch (and a symbolic sequence length or spatial size where the module
 * allows it): built once with named dims, exported once, and that one ONNX file run in ONNX Runtime at two sizes
 * ({N: 1, …} and {N: 3, …}); each output must equal the static-shape build at that size with the same weights.
 * In training mode the updated buffers (BatchNorm's running statistics) are compared too; and the gradients of
 * Σy² with respect to every parameter, from a graph with a symbolic batch (other dims static: the conv, pool and
 * resize gradients read spatial sizes as numbers), equal the static ones at batch 1 and 3.
 * Modules that need a static dim refuse a symbolic one with a one-line error naming the module or op.
 */
import { grad } from '../../sdk/autodiff';
import type { Dim } from '../../sdk/dim';
import { BuildError } from '../../sdk/errors';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import * as F from '../../sdk/functional';
import * as nn from '../../sdk/nn';
import { onnx } from '../../sdk/onnx/generated/onnx';
import type { DType } from '../../sdk/dtype';
import type { NamedArray, StateDict } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { mul, reduceSum } from '../../sdk/ops';
import { createSession, runSession } from '../../runtime/engine/ort';
import { checkRecordedModels, haveOnnxChecker, recordModel } from '../helpers/onnx-checker';
import { Rng } from '../helpers/rng';

interface In {
  dims: Dim[];
  dtype?: DType;
  /** Integer inputs: values in [0, high). */
  high?: number;
}

interface Case {
  name: string;
  make: () => nn.Module;
  inputs: In[];
  /** Default: the module's call on the inputs, first output if it returns several. */
  call?: (m: nn.Module, xs: Tensor[]) => Tensor;
  /** Build in training mode (BatchNorm batch statistics, Dropout masks). Default eval. */
  train?: boolean;
}

/** The two run-time sizes of every symbol. */
const SIZES: Record<string, number>[] = [
  { N: 1, L: 5, S: 4, H: 6, W: 7, D: 4 },
  { N: 3, L: 7, S: 6, H: 9, W: 8, D: 5 },
];

const x4 = (c: number): In[] => [{ dims: ['N', c, 'H', 'W'] }];
const x3 = (c: number): In[] => [{ dims: ['N', c, 'L'] }];
const x5 = (c: number): In[] => [{ dims: ['N', c, 'D', 'H', 'W'] }];
const seq = (e: number): In[] => [{ dims: ['N', 'L', e] }];
const encoderLayer = () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, dropout: 0.1 });

const CASES: Case[] = [
  { name: 'Linear (N, in)', make: () => new nn.Linear(6, 4), inputs: [{ dims: ['N', 6] }] },
  { name: 'Linear (N, L, in)', make: () => new nn.Linear(6, 4), inputs: seq(6) },
  { name: 'Conv1d', make: () => new nn.Conv1d(3, 4, 3, { padding: 1 }), inputs: x3(3) },
  { name: 'Conv2d stride 2', make: () => new nn.Conv2d(3, 4, 3, { stride: 2, padding: 1 }), inputs: x4(3) },
  {
    name: "Conv2d padding='same' dilation 2",
    make: () => new nn.Conv2d(3, 4, 3, { padding: 'same', dilation: 2 }),
    inputs: x4(3),
  },
  { name: 'Conv2d groups', make: () => new nn.Conv2d(4, 6, 3, { groups: 2 }), inputs: x4(4) },
  {
    name: "Conv2d padding_mode='reflect' (static space)",
    make: () => new nn.Conv2d(3, 4, 3, { padding: 1, paddingMode: 'reflect' }),
    inputs: [{ dims: ['N', 3, 6, 5] }],
  },
  { name: 'Conv3d', make: () => new nn.Conv3d(2, 3, 3, { padding: 1 }), inputs: x5(2) },
  {
    name: 'ConvTranspose1d (static L)',
    make: () => new nn.ConvTranspose1d(4, 3, 3, { stride: 2 }),
    inputs: [{ dims: ['N', 4, 5] }],
  },
  {
    name: 'ConvTranspose2d (static space)',
    make: () => new nn.ConvTranspose2d(4, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    inputs: [{ dims: ['N', 4, 4, 5] }],
  },
  {
    name: 'ConvTranspose3d (static space)',
    make: () => new nn.ConvTranspose3d(2, 2, 2, { stride: 2 }),
    inputs: [{ dims: ['N', 2, 3, 3, 2] }],
  },
  { name: 'BatchNorm1d (N, C) eval', make: () => new nn.BatchNorm1d(4), inputs: [{ dims: ['N', 4] }] },
  { name: 'BatchNorm1d (N, C, L) train', make: () => new nn.BatchNorm1d(4), inputs: x3(4), train: true },
  { name: 'BatchNorm2d eval', make: () => new nn.BatchNorm2d(3), inputs: x4(3) },
  { name: 'BatchNorm2d train', make: () => new nn.BatchNorm2d(3), inputs: x4(3), train: true },
  { name: 'BatchNorm3d eval', make: () => new nn.BatchNorm3d(2), inputs: x5(2) },
  { name: 'InstanceNorm1d affine', make: () => new nn.InstanceNorm1d(3, { affine: true }), inputs: x3(3) },
  {
    name: 'InstanceNorm2d track_running_stats train',
    make: () => new nn.InstanceNorm2d(3, { trackRunningStats: true }),
    inputs: x4(3),
    train: true,
  },
  {
    name: 'InstanceNorm2d track_running_stats eval',
    make: () => new nn.InstanceNorm2d(3, { trackRunningStats: true }),
    inputs: x4(3),
  },
  { name: 'InstanceNorm3d', make: () => new nn.InstanceNorm3d(2), inputs: x5(2) },
  { name: 'GroupNorm (N, C, H, W)', make: () => new nn.GroupNorm(2, 4), inputs: x4(4) },
  { name: 'GroupNorm (N, C, D, H, W)', make: () => new nn.GroupNorm(2, 4), inputs: x5(4) },
  { name: 'GroupNorm (N, C)', make: () => new nn.GroupNorm(2, 4), inputs: [{ dims: ['N', 4] }] },
  { name: 'LayerNorm', make: () => new nn.LayerNorm(8), inputs: seq(8) },
  { name: 'LayerNorm over two axes', make: () => new nn.LayerNorm([3, 4]), inputs: [{ dims: ['N', 3, 4] }] },
  { name: 'Dropout eval', make: () => new nn.Dropout(0.3), inputs: seq(4) },
  { name: 'Dropout train', make: () => new nn.Dropout(0.3), inputs: seq(4), train: true },
  { name: 'Dropout2d train', make: () => new nn.Dropout2d(0.5), inputs: x4(4), train: true },
  { name: 'Dropout3d train', make: () => new nn.Dropout3d(0.5), inputs: x5(2), train: true },
  { name: 'MaxPool1d', make: () => new nn.MaxPool1d(2), inputs: x3(2) },
  { name: 'MaxPool2d 3/2/1', make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }), inputs: x4(2) },
  {
    name: 'MaxPool2d ceil_mode (static space)',
    make: () => new nn.MaxPool2d(2, { ceilMode: true }),
    inputs: [{ dims: ['N', 2, 5, 7] }],
  },
  { name: 'MaxPool3d', make: () => new nn.MaxPool3d(2), inputs: x5(2) },
  { name: 'AvgPool1d', make: () => new nn.AvgPool1d(3, { stride: 2 }), inputs: x3(2) },
  {
    name: 'AvgPool2d count_include_pad=False',
    make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
    inputs: x4(2),
  },
  { name: 'AvgPool3d', make: () => new nn.AvgPool3d(2), inputs: x5(2) },
  {
    name: 'AvgPool2d divisor_override (static space)',
    make: () => new nn.AvgPool2d(2, { divisorOverride: 3 }),
    inputs: [{ dims: ['N', 2, 6, 4] }],
  },
  { name: 'AdaptiveAvgPool1d(1)', make: () => new nn.AdaptiveAvgPool1d(1), inputs: x3(3) },
  { name: 'AdaptiveAvgPool2d(1)', make: () => new nn.AdaptiveAvgPool2d(1), inputs: x4(3) },
  {
    name: 'AdaptiveAvgPool2d([2, 3]) (static space)',
    make: () => new nn.AdaptiveAvgPool2d([2, 3]),
    inputs: [{ dims: ['N', 3, 7, 8] }],
  },
  { name: 'AdaptiveMaxPool2d([1, None])', make: () => new nn.AdaptiveMaxPool2d([1, null]), inputs: x4(3) },
  { name: 'AdaptiveAvgPool3d(1)', make: () => new nn.AdaptiveAvgPool3d(1), inputs: x5(2) },
  { name: 'AdaptiveMaxPool3d(1)', make: () => new nn.AdaptiveMaxPool3d(1), inputs: x5(2) },
  { name: 'Upsample nearest ×2', make: () => new nn.Upsample({ scaleFactor: 2 }), inputs: x4(2) },
  { name: 'Upsample bilinear ×2', make: () => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }), inputs: x4(2) },
  {
    name: 'Upsample linear align_corners size',
    make: () => new nn.Upsample({ size: 9, mode: 'linear', alignCorners: true }),
    inputs: x3(2),
  },
  { name: 'Upsample trilinear (GVSL form)', make: () => new nn.Upsample(2, 'trilinear', true), inputs: x5(2) },
  {
    name: 'Embedding',
    make: () => new nn.Embedding(10, 4, { paddingIdx: 0 }),
    inputs: [{ dims: ['N', 'L'], dtype: 'int64', high: 10 }],
  },
  {
    name: 'MultiheadAttention batch_first self-attention',
    make: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }),
    inputs: seq(8),
    call: (m, [x]) => (m as nn.MultiheadAttention).call(x, x, x)[0],
  },
  {
    name: 'MultiheadAttention (L, N, E) cross-attention, key padding mask',
    make: () => new nn.MultiheadAttention(8, 2),
    inputs: [{ dims: ['L', 'N', 8] }, { dims: ['S', 'N', 8] }, { dims: ['N', 'S'], dtype: 'bool', high: 2 }],
    call: (m, [q, kv, mask]) => (m as nn.MultiheadAttention).call(q, kv, kv, { keyPaddingMask: mask })[0],
  },
  {
    name: 'MultiheadAttention weights (N, L, S)',
    make: () => new nn.MultiheadAttention(8, 4, { batchFirst: true }),
    inputs: seq(8),
    call: (m, [x]) => (m as nn.MultiheadAttention).call(x, x, x, { averageAttnWeights: true })[1]!,
  },
  { name: 'TransformerEncoderLayer', make: encoderLayer, inputs: seq(8) },
  {
    name: 'TransformerEncoderLayer norm_first gelu',
    make: () =>
      new nn.TransformerEncoderLayer(8, 2, {
        dimFeedforward: 16,
        batchFirst: true,
        normFirst: true,
        activation: 'gelu',
      }),
    inputs: seq(8),
  },
  {
    name: 'TransformerEncoder',
    make: () => new nn.TransformerEncoder(encoderLayer(), 2, new nn.LayerNorm(8)),
    inputs: seq(8),
  },
  { name: 'Flatten', make: () => new nn.Flatten(), inputs: x4(3) },
  { name: 'Identity', make: () => new nn.Identity(), inputs: x4(3) },
  { name: 'ReLU', make: () => new nn.ReLU(), inputs: x4(3) },
  { name: 'LeakyReLU', make: () => new nn.LeakyReLU(0.1), inputs: x4(3) },
  { name: 'PReLU per channel', make: () => new nn.PReLU(3), inputs: x4(3) },
  { name: 'ELU', make: () => new nn.ELU(), inputs: seq(4) },
  { name: 'GELU tanh', make: () => new nn.GELU('tanh'), inputs: seq(4) },
  { name: 'SiLU', make: () => new nn.SiLU(), inputs: seq(4) },
  { name: 'Mish', make: () => new nn.Mish(), inputs: seq(4) },
  { name: 'Sigmoid', make: () => new nn.Sigmoid(), inputs: seq(4) },
  { name: 'Tanh', make: () => new nn.Tanh(), inputs: seq(4) },
  { name: 'Hardswish', make: () => new nn.Hardswish(), inputs: seq(4) },
  { name: 'Softmax', make: () => new nn.Softmax(-1), inputs: seq(4) },
  { name: 'LogSoftmax', make: () => new nn.LogSoftmax(1), inputs: x4(3) },
  {
    name: 'Sequential',
    make: () =>
      new nn.Sequential(
        new nn.Conv2d(2, 4, 3),
        new nn.BatchNorm2d(4),
        new nn.ReLU(),
        new nn.AdaptiveAvgPool2d(1),
        new nn.Flatten(),
        new nn.Linear(4, 3),
      ),
    inputs: x4(2),
  },
  {
    name: 'CrossEntropyLoss',
    make: () => new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }),
    inputs: [{ dims: ['N', 5, 'L'] }, { dims: ['N', 'L'], dtype: 'int64', high: 5 }],
  },
  {
    name: 'NLLLoss weight',
    make: () => new nn.NLLLoss({ weight: [1, 2, 0.5] }),
    inputs: [{ dims: ['N', 3] }, { dims: ['N'], dtype: 'int64', high: 3 }],
  },
  { name: 'MSELoss', make: () => new nn.MSELoss(), inputs: [{ dims: ['N', 4] }, { dims: ['N', 4] }] },
  {
    name: 'KLDivLoss batchmean',
    make: () => new nn.KLDivLoss({ reduction: 'batchmean', logTarget: true }),
    inputs: [{ dims: ['N', 4] }, { dims: ['N', 4] }],
  },
  {
    name: 'BCEWithLogitsLoss pos_weight',
    make: () => new nn.BCEWithLogitsLoss({ posWeight: [1, 2, 3, 0.5] }),
    inputs: [{ dims: ['N', 4] }, { dims: ['N', 4] }],
    call: (m, [x, t]) => (m.call as (a: Tensor, b: Tensor) => Tensor)(x, F.sigmoid(t)),
  },
  {
    name: 'BCELoss',
    make: () => new nn.BCELoss(),
    inputs: [{ dims: ['N', 'L'] }, { dims: ['N', 'L'] }],
    call: (m, [x, t]) => (m.call as (a: Tensor, b: Tensor) => Tensor)(F.sigmoid(x), F.sigmoid(t)),
  },
  {
    name: 'L1Loss sum',
    make: () => new nn.L1Loss({ reduction: 'sum' }),
    inputs: [{ dims: ['N', 'L'] }, { dims: ['N', 'L'] }],
  },
  {
    name: 'SmoothL1Loss',
    make: () => new nn.SmoothL1Loss({ beta: 0.5 }),
    inputs: [{ dims: ['N', 'L'] }, { dims: ['N', 'L'] }],
  },
  {
    name: 'HuberLoss none',
    make: () => new nn.HuberLoss({ reduction: 'none', delta: 0.5 }),
    inputs: [{ dims: ['N', 'L'] }, { dims: ['N', 'L'] }],
  },
  {
    name: 'CosineSimilarity',
    make: () => new nn.CosineSimilarity(2),
    inputs: [{ dims: ['N', 'L', 4] }, { dims: ['N', 'L', 4] }],
  },
  // F functions that no module above calls.
  {
    name: 'F.pad constant',
    make: () => new nn.Identity(),
    inputs: x4(2),
    call: (_, [x]) => F.pad(x, [1, 2, 0, 1], 'constant', 0.5),
  },
  {
    name: 'F.oneHot',
    make: () => new nn.Identity(),
    inputs: [{ dims: ['N', 'L'], dtype: 'int64', high: 4 }],
    call: (_, [i]) => F.oneHot(i, 4),
  },
  { name: 'F.flatten all', make: () => new nn.Identity(), inputs: x4(2), call: (_, [x]) => F.flatten(x) },
  {
    name: 'F.batchNorm training',
    make: () => new nn.Identity(),
    inputs: x3(3),
    call: (_, [x]) => F.batchNorm(x, null, null, { training: true }),
  },
  { name: 'F.groupNorm', make: () => new nn.Identity(), inputs: x3(4), call: (_, [x]) => F.groupNorm(x, 2) },
  {
    name: 'F.interpolate size',
    make: () => new nn.Identity(),
    inputs: x4(2),
    call: (_, [x]) => F.interpolate(x, { size: [5, 3], mode: 'bilinear', alignCorners: true }),
  },
  { name: 'F.softplus', make: () => new nn.Identity(), inputs: seq(3), call: (_, [x]) => F.softplus(x) },
  {
    name: 'DiceLoss',
    make: () => new nn.DiceLoss(),
    inputs: [x4(3)[0], { dims: ['N', 'H', 'W'], dtype: 'int64', high: 3 }],
  },
];

/** Every float entry of the state dict random (running variances positive), so that no statistic is trivial. */
function randomState(m: nn.Module, seed: number): StateDict {
  const rng = new Rng(seed);
  const sd = m.initStateDict(seed);
  for (const [k, v] of sd) {
    if (v.dtype !== 'float32') continue;
    const data = Float32Array.from(rng.array(v.data.length, -1, 1));
    if (k.endsWith('running_var')) data.forEach((x, i) => (data[i] = 0.5 + Math.abs(x)));
    sd.set(k, { ...v, data });
  }
  return sd;
}

const at = (dims: readonly Dim[], size: Record<string, number>): number[] =>
  dims.map((d) => (typeof d === 'number' ? d : size[d]));

/** The case's graph: output y, the updated buffers (train mode), and with `withGrads` d(Σy²)/d(each parameter). */
function build(c: Case, m: nn.Module, size: Record<string, number> | null, withGrads = false): Graph {
  const g = new Graph(c.name.replace(/[^A-Za-z0-9]+/g, '_'));
  // Gradient graphs: only the batch symbolic.
  const symbolic = (dims: readonly Dim[]) =>
    withGrads ? dims.map((d) => (d === 'N' || typeof d === 'number' ? d : SIZES[0][d])) : dims;
  const xs = c.inputs.map((inp, i) =>
    g.input(`x${i}`, inp.dtype ?? 'float32', size ? at(inp.dims, size) : symbolic(inp.dims)),
  );
  const y = c.call ? c.call(m, xs) : (m.call as (...a: Tensor[]) => Tensor)(...xs);
  g.output('y', y);
  for (const [k, t] of g.bufferUpdates) g.output(`new.${k}`, t);
  if (withGrads) {
    const params = [...g.params.values()].filter((p) => p.dtype === 'float32' && !g.buffers.has(p.name));
    if (params.length)
      grad(
        reduceSum(
          mul(y, y),
          y.dims.map((_, i) => i),
        ),
        params,
      ).forEach((d, i) => g.output(`d.${params[i].name}`, d));
  }
  return g;
}

function feed(c: Case, size: Record<string, number>, seed: number): Record<string, NamedArray> {
  const rng = new Rng(seed);
  const feeds: Record<string, NamedArray> = {};
  c.inputs.forEach((inp, i) => {
    const shape = at(inp.dims, size);
    const n = shape.reduce((a, b) => a * b, 1);
    const dtype = inp.dtype ?? 'float32';
    const vals = rng.array(n, 0, 1);
    if (dtype === 'int64')
      feeds[`x${i}`] = { dtype, shape, data: BigInt64Array.from(vals, (v) => BigInt(Math.floor(v * inp.high!))) };
    // A key padding mask that never hides every key of a row (softmax of all −∞ is NaN, as in PyTorch).
    else if (dtype === 'bool')
      feeds[`x${i}`] = {
        dtype,
        shape,
        data: Uint8Array.from(vals, (v, j) => (j % shape[shape.length - 1] === 0 ? 0 : v < 0.3 ? 1 : 0)),
      };
    else feeds[`x${i}`] = { dtype, shape, data: Float32Array.from(vals, (v) => 2 * v - 1) };
  });
  return feeds;
}

async function run(model: Uint8Array, feeds: Record<string, NamedArray>): Promise<Record<string, NamedArray>> {
  const s = await createSession(model, { threads: 1, graphOptimizationLevel: 'basic' });
  try {
    return await runSession(s, feeds);
  } finally {
    await s.release();
  }
}

function maxErr(a: NamedArray, b: NamedArray): number {
  let worst = 0;
  for (let i = 0; i < a.data.length; i++)
    worst = Math.max(worst, Math.abs(Number(a.data[i]) - Number(b.data[i])) / (1 + Math.abs(Number(b.data[i]))));
  return worst;
}

describe.each(CASES)('$name', (c) => {
  test('one file with symbolic dims runs at two sizes and equals the static builds', async () => {
    const m = c.make();
    if (!c.train) m.eval();
    const weights = randomState(m, 3);
    const sym = build(c, m, null);
    const model = exportModel(sym, { weights }).model;
    recordModel(sym.name, model);
    // The file itself declares the symbols (dim_param), so ORT takes any size for them.
    const declared = onnx.ModelProto.decode(model).graph!.input!.find((v) => v.name === 'x0')!.type!.tensorType!.shape!
      .dim!;
    expect(declared.map((d) => d.dimParam || Number(d.dimValue))).toEqual(c.inputs[0].dims);
    const hasSeed = sym.inputs.some((t) => t.name === 'dropout_seed');
    for (const [i, size] of SIZES.entries()) {
      const feeds = feed(c, size, 20 + i);
      if (hasSeed) feeds.dropout_seed = { dtype: 'int32', shape: [], data: Int32Array.of(12345) };
      const got = await run(model, feeds);
      const want = await run(exportModel(build(c, m, size), { weights }).model, feeds);
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) {
        expect(got[k].shape).toEqual(want[k].shape);
        expect(maxErr(got[k], want[k])).toBeLessThan(1e-5);
      }
    }
  });

  test('gradients from the symbolic graph equal the static ones at both sizes', async () => {
    const m = c.make();
    if (!c.train) m.eval();
    const weights = randomState(m, 5);
    const sym = build(c, m, null, true);
    const model = exportModel(sym, { params: 'inputs' }).model;
    const params = Object.fromEntries([...sym.params.keys()].map((k) => [k, weights.get(k)!]));
    const hasSeed = sym.inputs.some((t) => t.name === 'dropout_seed');
    for (const [i, size] of [SIZES[0], { ...SIZES[0], N: 3 }].entries()) {
      const feeds = { ...feed(c, size, 40 + i), ...params };
      if (hasSeed) feeds.dropout_seed = { dtype: 'int32', shape: [], data: Int32Array.of(777) };
      const got = await run(model, feeds);
      const want = await run(exportModel(build(c, m, size, true), { params: 'inputs' }).model, feeds);
      for (const k of Object.keys(want)) {
        expect(got[k].shape).toEqual(want[k].shape);
        expect(maxErr(got[k], want[k])).toBeLessThan(1e-4);
      }
    }
  });
});

test('modules that need a static dim refuse a symbolic one in one line, naming the module or op', () => {
  const g = new Graph('refusals');
  const refuse = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(BuildError);
      return (e as Error).message;
    }
    throw new Error('expected a build error');
  };
  const x4s = g.input('a', 'float32', ['N', 3, 'H', 'W']);
  const oneLine = (s: string) => expect(s).not.toContain('\n');
  const msgs = [
    [
      refuse(() => new nn.ConvTranspose2d(3, 2, 3).call(x4s)),
      /^conv_transpose2d at '.*': needs static spatial dims, got input float32\[N,3,H,W\]/,
    ],
    [
      refuse(() => new nn.MaxPool2d(2, { ceilMode: true }).call(x4s)),
      /^max_pool2d at '.*': ceil_mode needs static spatial dims/,
    ],
    [
      refuse(() => new nn.AdaptiveAvgPool2d([2, 2]).call(x4s)),
      /^adaptive_avg_pool2d at '.*': output_size \[2,2\] needs static spatial dims/,
    ],
    [
      refuse(() => new nn.Conv2d(3, 4, 3, { padding: 1, paddingMode: 'reflect' }).call(x4s)),
      /^pad at '.*': mode 'reflect' needs a static size along axis 3/,
    ],
    [
      refuse(() => new nn.Conv2d(3, 4, 3).call(g.input('cc', 'float32', ['N', 'C', 5, 5]))),
      /^Conv2d at '.*': Conv2d\(3, 4, kernel_size=\(3,3\)\) expects input \(N, 3, H, W\), got float32\[N,C,5,5\]$/,
    ],
    [
      refuse(() => new nn.GroupNorm(1, 3).call(g.input('c', 'float32', ['N', 'C', 4]))),
      /^GroupNorm at '.*': GroupNorm\(1, 3\) expects input \(N, 3, \*\), got float32\[N,C,4\]/,
    ],
    [
      refuse(() =>
        new nn.CrossEntropyLoss().call(g.input('logits', 'float32', ['N', 'K']), g.input('t', 'int64', ['N'])),
      ),
      /^cross_entropy at '.*': the class axis 1 of input float32\[N,K\] must be static/,
    ],
  ] as const;
  for (const [msg, re] of msgs) {
    oneLine(msg);
    expect(msg).toMatch(re);
  }
});

test('the exported symbolic models pass ONNX full check', () => {
  if (!haveOnnxChecker()) return;
  expect(checkRecordedModels()).toEqual([]);
});
