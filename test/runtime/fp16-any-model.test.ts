/**
 * The op-type float16 policy on a model that is not GVSL: a small 2-D conv net + MLP head built with the DSL
 * (symbolic batch), converted with the default policy, run in ORT next to its float32 original.
 * Tolerance, stated: outputs within 5e-3 of float32 relative to the largest magnitude (the GVSL export's
 * bound): float16 keeps 11 significant bits (4.9e-4 relative rounding per op) and this net is ~10 ops deep,
 * with the reductions and the softmax in float32.
 */
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import * as nn from '../../sdk/nn';
import { add, conv, matmul, maxPool, mT, reduceMean, relu, reshape, softmax } from '../../sdk/ops';
import type { NamedArray, StateDict } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { createSession, runSession } from '../../runtime/engine/ort';
import { FLOAT16_OPS, formatFloat16Report, toFloat16 } from '../../runtime/serve/fp16';
import { decodeOnnx, encodeModel } from '../../runtime/engine/onnx-file';
import { checkModelFiles, haveOnnxChecker } from '../helpers/onnx-checker';
import { Rng } from '../helpers/rng';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** conv 3×3 → GroupNorm → ReLU → max-pool 2 → conv 3×3 stride 2 → ReLU → flatten → Linear → ReLU → Linear → softmax. */
class SmallNet extends nn.Module {
  readonly gn = this.addModule('gn', new nn.GroupNorm(2, 8));
  readonly fc1 = this.addModule('fc1', new nn.Linear(16 * 2 * 2, 32));
  readonly fc2 = this.addModule('fc2', new nn.Linear(32, 5));
  constructor() {
    super();
    this.addParam('conv1_weight', [8, 3, 3, 3], nn.init.normal(0, 0.3));
    this.addParam('conv2_weight', [16, 8, 3, 3], nn.init.normal(0, 0.15));
  }
  forward(x: Tensor): Tensor {
    const g = x.graph;
    let h = relu(this.gn.call(conv(x, this.param(g, 'conv1_weight'), null, { pads: [1, 1, 1, 1] })));
    h = relu(
      conv(maxPool(h, { kernel: [2, 2] }), this.param(g, 'conv2_weight'), null, {
        pads: [1, 1, 1, 1],
        strides: [2, 2],
      }),
    );
    const flat = reshape(h, [h.dims[0], -1]);
    const logits = this.fc2.call(relu(this.fc1.call(flat)));
    return softmax(add(logits, mul0(reduceMean(logits, [1], { keepdims: true }))), { axis: 1 });
  }
}
// A zero-weighted use of a reduction: the op-type policy must keep ReduceMean float32 wherever it appears.
const mul0 = (t: Tensor) => matmul(t, mT(t.graph.constant(new Float32Array(5), 'float32', [5, 1])));

function batch(n: number, seed: number): NamedArray {
  const rng = new Rng(seed);
  return { dtype: 'float32', shape: [n, 3, 8, 8], data: Float32Array.from(rng.array(n * 3 * 64, -1, 1)) };
}

test('default float16 policy on a non-GVSL conv net + MLP: converts by op type, reports it, stays within 5e-3 of float32', async () => {
  const net = new SmallNet();
  const weights: StateDict = net.initStateDict(3);
  const g = new Graph('small');
  g.output('probs', net.call(g.input('x', 'float32', ['N', 3, 8, 8])));
  const full = exportModel(g, { weights }).model;
  const { model, report } = toFloat16(decodeOnnx(full));
  const half = encodeModel(model);

  // What was converted, by op type, and what stayed float32 and why.
  expect(report.converted.Conv).toBe(2);
  expect(report.converted.MatMul).toBeGreaterThanOrEqual(2);
  expect(report.converted.Relu).toBe(3);
  expect(report.converted.MaxPool).toBe(1);
  const keptTypes = new Set(report.kept.map((k) => k.opType));
  for (const t of ['ReduceMean', 'Softmax', 'Sqrt']) expect(keptTypes).toContain(t);
  expect(report.kept.find((k) => k.opType === 'Softmax')!.reason).toBe('op type');
  expect(report.halfInitializers).toBeGreaterThanOrEqual(weights.size);
  expect(formatFloat16Report(report)).toMatch(
    /^float16: \d+ nodes \(.*Conv 2.*\), \d+ weights; float32 kept: \d+ nodes \(.*Softmax \[op type\] 1/,
  );
  const initBytes = (bytes: Uint8Array) =>
    decodeOnnx(bytes).graph.initializer.reduce((n, t) => n + (t.rawData?.byteLength ?? 0), 0);
  expect(initBytes(half)).toBeLessThan(initBytes(full) * 0.55);

  const [s32, s16] = [await createSession(full, { threads: 1 }), await createSession(half, { threads: 1 })];
  try {
    expect(s16.inputMetadata.map((i) => (i.isTensor ? i.type : '?'))).toEqual(['float32']);
    for (const n of [1, 6]) {
      const x = batch(n, n);
      const [a, b] = [(await runSession(s32, { x })).probs, (await runSession(s16, { x })).probs];
      expect(b.shape).toEqual([n, 5]);
      let err = 0;
      let big = 0;
      for (let i = 0; i < a.data.length; i++) {
        err = Math.max(err, Math.abs(Number(a.data[i]) - Number(b.data[i])));
        big = Math.max(big, Math.abs(Number(a.data[i])));
      }
      if (process.env.FP16_VERBOSE) console.log(`batch ${n}: fp16 relative error ${err / big}`);
      expect(err / big).toBeLessThan(5e-3);
      expect(err).toBeGreaterThan(0); // it really computed in float16
    }
  } finally {
    await s32.release();
    await s16.release();
  }
  if (haveOnnxChecker()) {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fp16-')), 'half.onnx');
    fs.writeFileSync(f, half);
    expect(checkModelFiles([f])).toEqual([]);
  }
});

test('a policy that matches nothing says so', () => {
  const g = new Graph('none');
  g.output('y', relu(g.input('x', 'float32', [2, 3])));
  const { report } = toFloat16(decodeOnnx(exportModel(g).model), { policy: 'conv' });
  expect(formatFloat16Report(report)).toMatch(/^float16: 0 nodes \(none\)/);
  // The output is written by Relu itself (the export adds no Identity for a renamed output).
  expect(report.kept).toEqual([{ name: 'Relu', opType: 'Relu', reason: 'op type' }]);
});

/** Inference graphs of main's nn modules with a symbolic batch (and sequence length): what the default policy converts. */
const MODULE_NETS: {
  name: string;
  make: () => nn.Module;
  dims: (string | number)[];
  sizes: number[][];
  expectConverted: string[];
}[] = [
  {
    name: 'ResNet-style stem and head (Conv2d, BatchNorm2d, 3/2/1 MaxPool2d, AdaptiveAvgPool2d, Linear)',
    make: () =>
      new nn.Sequential(
        new nn.Conv2d(3, 8, 7, { stride: 2, padding: 3, bias: false }),
        new nn.BatchNorm2d(8),
        new nn.ReLU(),
        new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
        new nn.Conv2d(8, 8, 3, { padding: 1 }),
        new nn.GELU(),
        new nn.AdaptiveAvgPool2d(1),
        new nn.Flatten(),
        new nn.Linear(8, 5),
      ),
    dims: ['N', 3, 16, 16],
    sizes: [
      [1, 3, 16, 16],
      [4, 3, 16, 16],
    ],
    expectConverted: ['Conv', 'Relu', 'MaxPool', 'MatMul', 'Erf', 'Reshape'],
  },
  {
    name: 'transformer encoder (MultiheadAttention, LayerNorm, GELU feed-forward) on (N, L, E)',
    make: () =>
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(16, 4, {
          dimFeedforward: 32,
          batchFirst: true,
          activation: 'gelu',
          normFirst: true,
        }),
        2,
      ),
    dims: ['N', 'L', 16],
    sizes: [
      [1, 5, 16],
      [3, 9, 16],
    ],
    expectConverted: ['MatMul', 'Transpose', 'Reshape', 'Erf', 'Split'],
  },
  {
    name: 'Conv1d, GroupNorm, SiLU, Upsample linear, ConvTranspose1d on (N, C, L)',
    make: () =>
      new nn.Sequential(
        new nn.Conv1d(3, 8, 3, { padding: 1 }),
        new nn.GroupNorm(2, 8),
        new nn.SiLU(),
        new nn.Upsample({ scaleFactor: 2, mode: 'linear' }),
        new nn.Conv1d(8, 4, 3, { padding: 1 }),
      ),
    dims: ['N', 3, 'L'],
    sizes: [
      [1, 3, 7],
      [3, 3, 12],
    ],
    expectConverted: ['Conv', 'Resize', 'Sigmoid', 'Reshape'],
  },
];

describe.each(MODULE_NETS)('default float16 policy: $name', ({ make, dims, sizes, expectConverted }) => {
  test("converts the modules' ops by type (run-time shapes included), warns of nothing, stays within 5e-3 at two sizes", async () => {
    const net = make();
    net.eval();
    const weights = net.initStateDict(4);
    const g = new Graph('net');
    g.output('y', net.call(g.input('x', 'float32', dims)));
    const full = exportModel(g, { weights }).model;
    const { model, report } = toFloat16(decodeOnnx(full));
    for (const t of expectConverted) expect(report.converted[t] ?? 0).toBeGreaterThan(0);
    // Shape arithmetic of symbolic dims is integer: never reported as a float32 node, never blocking a Reshape/Resize.
    expect(
      report.kept.filter(
        (k) =>
          k.reason === 'untyped intermediate' && ['Gather', 'Concat', 'Reshape', 'Resize', 'Expand'].includes(k.opType),
      ),
    ).toEqual([]);
    expect(report.warnings).toEqual([]);
    const half = encodeModel(model);
    const [s32, s16] = [await createSession(full, { threads: 1 }), await createSession(half, { threads: 1 })];
    try {
      for (const [i, shape] of sizes.entries()) {
        const rng = new Rng(30 + i);
        const x: NamedArray = {
          dtype: 'float32',
          shape,
          data: Float32Array.from(
            rng.array(
              shape.reduce((a, b) => a * b, 1),
              -1,
              1,
            ),
          ),
        };
        const [a, b] = [(await runSession(s32, { x })).y, (await runSession(s16, { x })).y];
        expect(b.shape).toEqual(a.shape);
        let err = 0;
        let big = 0;
        for (let j = 0; j < a.data.length; j++) {
          err = Math.max(err, Math.abs(Number(a.data[j]) - Number(b.data[j])));
          big = Math.max(big, Math.abs(Number(a.data[j])));
        }
        expect(err / big).toBeLessThan(5e-3);
        expect(err).toBeGreaterThan(0);
      }
    } finally {
      await s32.release();
      await s16.release();
    }
    if (haveOnnxChecker()) {
      const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fp16-')), 'half.onnx');
      fs.writeFileSync(f, half);
      expect(checkModelFiles([f])).toEqual([]);
    }
  });
});

test('the report warns when nothing is converted or when convolutions/products stay float32', () => {
  const net = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU());
  const g = new Graph('warn');
  g.output('y', net.call(g.input('x', 'float32', ['N', 4])));
  const m = decodeOnnx(exportModel(g, { weights: net.initStateDict(1) }).model);
  const none = toFloat16(m, { policy: 'conv' }).report;
  expect(none.warnings).toEqual(['no node matched the policy: the model still computes in float32']);
  expect(formatFloat16Report(none)).toMatch(/; warning: no node matched the policy/);
  const noMatMul = toFloat16(m, { policy: (n) => n.opType !== 'MatMul' && FLOAT16_OPS.has(n.opType) }).report;
  expect(noMatMul.warnings).toEqual([
    '1 compute node(s) stay float32 (MatMul [op type]): add their op types to the policy or the gain is small',
  ]);
  expect(toFloat16(m).report.warnings).toEqual([]);
});
