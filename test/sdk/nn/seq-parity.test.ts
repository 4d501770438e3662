/**
 * PyTorch parity of the sequence modules, activations and losses: forward outputs and the gradients of
 * L = Σ r·y with respect to every differentiated input and every parameter, against float64 values computed by
 * PyTorch 1.13 (test/data/make_seq_fixtures.py → test/data/seq-fixtures.json). The state_dict keys and shapes
 * of each module must equal PyTorch's, in PyTorch's order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { F, nn } from '../../../sdk';
import { grad } from '../../../sdk/autodiff';
import { type DType, fromNumbers, isFloat } from '../../../sdk/dtype';
import { Graph } from '../../../sdk/graph';
import { add, mul, reduceSum, softmax } from '../../../sdk/ops';
import type { NamedArray } from '../../../sdk/state';
import type { Tensor } from '../../../sdk/tensor';
import { checkRecordedModels } from '../../helpers/onnx-checker';
import { runGraph } from '../../helpers/run';

interface Arr {
  dtype: DType;
  shape: number[];
  data: number[];
}
interface Case {
  inputs: Record<string, Arr>;
  params: Record<string, Arr>;
  outputs: Record<string, Arr>;
  cotangents: Record<string, Arr>;
  grads: Record<string, Arr>;
}
// Python's json writes −∞ (a causal mask) as the bare token -Infinity, which JSON.parse rejects.
const FIX: { torch: string; cases: Record<string, Case> } = JSON.parse(
  fs
    .readFileSync(path.join(__dirname, '..', '..', 'data', 'seq-fixtures.json'), 'utf8')
    .replace(/-Infinity/g, '"-Infinity"'),
);

type Ins = Record<string, Tensor>;
interface Built {
  module?: nn.Module;
  outputs: (Tensor | null)[];
}
const E = 8;
const H = 2;
const one = (module: nn.Module, f: (m: any) => Tensor | [Tensor, Tensor | null]): Built => {
  const y = f(module);
  return { module, outputs: Array.isArray(y) ? y : [y] };
};
const fn = (y: Tensor): Built => ({ outputs: [y] });
const nums = (a: Arr) => a.data.map(Number);

/** The TypeScript side of every fixture case: same constructor arguments, same call. */
const BUILD: Record<string, (i: Ins, c: Case) => Built> = {
  ReLU: (i) => one(new nn.ReLU(), (m) => m.call(i.x)),
  LeakyReLU: (i) => one(new nn.LeakyReLU(0.2), (m) => m.call(i.x)),
  PReLU: (i) => one(new nn.PReLU(), (m) => m.call(i.x)),
  PReLU3: (i) => one(new nn.PReLU(3, 0.1), (m) => m.call(i.x)),
  ELU: (i) => one(new nn.ELU(0.7), (m) => m.call(i.x)),
  GELU: (i) => one(new nn.GELU(), (m) => m.call(i.x)),
  GELUtanh: (i) => one(new nn.GELU('tanh'), (m) => m.call(i.x)),
  SiLU: (i) => one(new nn.SiLU(), (m) => m.call(i.x)),
  Mish: (i) => one(new nn.Mish(), (m) => m.call(i.x)),
  Sigmoid: (i) => one(new nn.Sigmoid(), (m) => m.call(i.x)),
  Tanh: (i) => one(new nn.Tanh(), (m) => m.call(i.x)),
  Hardswish: (i) => one(new nn.Hardswish(), (m) => m.call(i.x)),
  Softmax: (i) => one(new nn.Softmax(1), (m) => m.call(i.x)),
  LogSoftmax: (i) => one(new nn.LogSoftmax(-1), (m) => m.call(i.x)),
  Linear: (i) => one(new nn.Linear(5, 3), (m) => m.call(i.x)),
  LinearNoBias: (i) => one(new nn.Linear(5, 3, false), (m) => m.call(i.x)),
  LayerNorm: (i) => one(new nn.LayerNorm(5), (m) => m.call(i.x)),
  LayerNorm2d: (i) => one(new nn.LayerNorm([3, 5], 1e-3), (m) => m.call(i.x)),
  LayerNormNoAffine: (i) => one(new nn.LayerNorm(5, 1e-5, false), (m) => m.call(i.x)),
  Embedding: (i) => one(new nn.Embedding(10, 4, { paddingIdx: 2 }), (m) => m.call(i.idx)),
  MHAself: (i) => one(new nn.MultiheadAttention(E, H), (m) => m.call(i.x, i.x, i.x)),
  MHAcross: (i) =>
    one(new nn.MultiheadAttention(E, H, { batchFirst: true }), (m) =>
      m.call(i.q, i.k, i.v, { keyPaddingMask: i.kpm, attnMask: i.am, averageAttnWeights: false }),
    ),
  MHAmask3d: (i) =>
    one(new nn.MultiheadAttention(E, H, { bias: false }), (m) => m.call(i.x, i.x, i.x, { attnMask: i.am })),
  EncoderLayerPost: (i) =>
    one(new nn.TransformerEncoderLayer(E, H, { dimFeedforward: 16, dropout: 0 }), (m) => m.call(i.x)),
  EncoderLayerPre: (i) =>
    one(
      new nn.TransformerEncoderLayer(E, H, {
        dimFeedforward: 16,
        dropout: 0,
        activation: 'gelu',
        batchFirst: true,
        normFirst: true,
        layerNormEps: 1e-4,
      }),
      (m) => m.call(i.x, { srcKeyPaddingMask: i.kpm }),
    ),
  MHAeval: (i) => one(new nn.MultiheadAttention(E, H, { dropout: 0.3 }).eval(), (m) => m.call(i.x, i.x, i.x)),
  EncoderLayerEval: (i) =>
    one(new nn.TransformerEncoderLayer(E, H, { dimFeedforward: 16, activation: 'gelu' }).eval(), (m) => m.call(i.x)),
  Encoder: (i) =>
    one(
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(E, H, { dimFeedforward: 16, dropout: 0 }),
        2,
        new nn.LayerNorm(E),
      ),
      (m) => m.call(i.x, { srcMask: i.mask }),
    ),
  CE: (i) => one(new nn.CrossEntropyLoss(), (m) => m.call(i.x, i.t)),
  // The module form with class weights as numbers, against F's weight input.
  CEweighted: (i, c) =>
    one(new nn.CrossEntropyLoss({ weight: nums(c.inputs.w), ignoreIndex: 1, labelSmoothing: 0.1 }), (m) =>
      m.call(i.x, i.t),
    ),
  CEkdim: (i) => fn(F.crossEntropy(i.x, i.t, { reduction: 'none', labelSmoothing: 0.2 })),
  CEunbatched: (i) => fn(F.crossEntropy(i.x, i.t)),
  CEkdimWeighted: (i) => fn(F.crossEntropy(i.x, i.t, { weight: i.w, ignoreIndex: 2 })),
  CEprobs: (i) => fn(F.crossEntropy(i.x, i.p, { weight: i.w, labelSmoothing: 0.2, reduction: 'sum' })),
  NLL: (i) => fn(F.nllLoss(i.x, i.t, { weight: i.w, ignoreIndex: 3 })),
  NLLsum: (i) => one(new nn.NLLLoss({ reduction: 'sum' }), (m) => m.call(i.x, i.t)),
  BCE: (i) => fn(F.binaryCrossEntropy(i.x, i.t, { weight: i.w })),
  BCElogits: (i) => fn(F.binaryCrossEntropyWithLogits(i.x, i.t, { weight: i.w, posWeight: i.pw })),
  BCElogitsNone: (i) => one(new nn.BCEWithLogitsLoss({ reduction: 'none' }), (m) => m.call(i.x, i.t)),
  MSE: (i) => one(new nn.MSELoss(), (m) => m.call(i.x, i.t)),
  L1: (i) => one(new nn.L1Loss({ reduction: 'sum' }), (m) => m.call(i.x, i.t)),
  SmoothL1: (i) => one(new nn.SmoothL1Loss({ beta: 0.5 }), (m) => m.call(i.x, i.t)),
  Huber: (i) => one(new nn.HuberLoss({ delta: 0.7, reduction: 'none' }), (m) => m.call(i.x, i.t)),
  KLbatchmean: (i) => one(new nn.KLDivLoss({ reduction: 'batchmean' }), (m) => m.call(i.x, i.p)),
  KLlogTarget: (i) => fn(F.klDiv(i.x, i.lp, { reduction: 'sum', logTarget: true })),
  KLmean: (i) => fn(F.klDiv(i.x, i.p)),
  Cosine: (i) => one(new nn.CosineSimilarity(), (m) => m.call(i.a, i.b)),
  CosineLast: (i) => fn(F.cosineSimilarity(i.a, i.b, { dim: -1 })),
  OneHot: (i) => fn(F.oneHot(i.t, 5)),
  Dice: (i) => one(new nn.DiceLoss(), (m) => m.call(softmax(i.x, { axis: 1 }), i.t)),
};

const feed = (a: Arr): NamedArray => ({
  dtype: a.dtype,
  shape: a.shape,
  data: fromNumbers(a.dtype, a.data.map(Number)),
});

/** max |got − want| / max |want| (want's largest magnitude, at least 1e-6). */
function relErr(got: ArrayLike<number | bigint>, want: number[]): number {
  let d = 0;
  let m = 1e-6;
  want.forEach((w, k) => {
    d = Math.max(d, Math.abs(Number(got[k]) - w));
    m = Math.max(m, Math.abs(w));
  });
  return d / m;
}

test('every fixture case has a TypeScript builder and vice versa', () => {
  expect(Object.keys(BUILD).sort()).toEqual(Object.keys(FIX.cases).sort());
});

test.each(Object.keys(FIX.cases).map((k) => [k]))(
  '%s matches PyTorch: outputs, input and parameter gradients',
  async (name) => {
    const c = FIX.cases[name];
    const g = new Graph(`seq_${name}`);
    const ins: Ins = Object.fromEntries(Object.entries(c.inputs).map(([k, a]) => [k, g.input(k, a.dtype, a.shape)]));
    const { module, outputs } = BUILD[name](ins, c);
    // state_dict keys, order and shapes as PyTorch's.
    const specs = module ? [...module.paramSpecs()].map(([k, s]) => [k, s.shape]) : [];
    expect(specs).toEqual(Object.entries(c.params).map(([k, a]) => [k, a.shape]));
    const ys = outputs.filter((y): y is Tensor => y !== null);
    expect(ys.map((y) => y.shape)).toEqual(Object.values(c.outputs).map((a) => a.shape));
    ys.forEach((y, k) => g.output(`y${k}`, y));
    // L = Σ r·y over the float outputs (an integer output, e.g. one_hot, is compared but not differentiated).
    const floats = ys.flatMap((y, k) => (isFloat(y.dtype) ? [[y, g.input(`r${k}`, y.dtype, y.shape)] as const] : []));
    expect(floats.map(([y]) => `y${ys.indexOf(y)}`)).toEqual(Object.keys(c.cotangents));
    const gradNames = Object.keys(c.grads);
    if (gradNames.length > 0) {
      const loss = floats
        .map(([y, r]) =>
          reduceSum(
            mul(y, r),
            y.shape.map((_, a) => a),
          ),
        )
        .reduce((a, b) => add(a, b));
      const wrt = gradNames.map((n) => (n.startsWith('input:') ? ins[n.slice(6)] : g.params.get(n.slice(6))!));
      grad(loss, wrt).forEach((t, k) => g.output(`g${k}`, t));
    }
    const feeds: Record<string, NamedArray> = {};
    for (const [k, a] of Object.entries(c.inputs)) feeds[k] = feed(a);
    for (const [k, a] of Object.entries(c.params)) feeds[k] = feed(a);
    for (const [k, a] of Object.entries(c.cotangents)) feeds[`r${k.slice(1)}`] = feed(a);
    const got = await runGraph(g, feeds, { params: 'inputs' });
    const errs: Record<string, number> = {};
    Object.values(c.outputs).forEach((a, k) => (errs[`y${k}`] = relErr(got[`y${k}`].data, a.data)));
    gradNames.forEach((n, k) => (errs[n] = relErr(got[`g${k}`].data, c.grads[n].data)));
    if (process.env.SEQ_PARITY_REPORT) console.log(name, Math.max(...Object.values(errs)));
    expect(Object.entries(errs).filter(([, e]) => !(e < 1e-5))).toEqual([]);
  },
);

test("every model exported above passes ONNX's full checker", () => {
  expect(checkRecordedModels()).toEqual([]);
});
