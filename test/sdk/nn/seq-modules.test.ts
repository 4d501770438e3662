/**
 * The sequence modules beyond the PyTorch fixtures (nn/seq-parity.test.ts): default initialisation, state_dict
 * keys, build-time errors in PyTorch's terms, the unbatched attention layout, and float64 finite-difference
 * gradient checks of the functional forms built from primitives.
 */
import { F, nn } from '../../../sdk';
import { Graph } from '../../../sdk/graph';
import { softmax, transpose } from '../../../sdk/ops';
import { grad } from '../../../sdk/autodiff';
import type { Tensor } from '../../../sdk/tensor';
import { type GradCase, gradCheck } from '../../helpers/gradcheck';
import { checkRecordedModels } from '../../helpers/onnx-checker';
import { runGraph } from '../../helpers/run';

/** A module as the child `name` of a root, so its parameters and errors carry a path. */
class Root extends nn.Module {
  constructor(
    name: string,
    readonly m: nn.Module,
  ) {
    super();
    this.addModule(name, m);
  }
  forward(): never {
    throw new Error('not called');
  }
}

const stats = (a: Float32Array) => {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  const maxAbs = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return { mean, std, maxAbs };
};

describe('default initialisation (PyTorch reset_parameters)', () => {
  test('PReLU: 0.25 (or init); LayerNorm: ones and zeros, no bias key with bias=false', () => {
    expect([...new nn.PReLU().initStateDict().get('weight')!.data]).toEqual([0.25]);
    expect([...new nn.PReLU(3, 0.1).initStateDict().get('weight')!.data]).toEqual([0.1, 0.1, 0.1].map(Math.fround));
    const ln = new nn.LayerNorm([2, 3]).initStateDict();
    expect([...ln.keys()]).toEqual(['weight', 'bias']);
    expect([...ln.get('weight')!.data]).toEqual([1, 1, 1, 1, 1, 1]);
    expect([...ln.get('bias')!.data]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...new nn.LayerNorm(4, 1e-5, true, false).initStateDict().keys()]).toEqual(['weight']);
    expect([...new nn.LayerNorm(4, 1e-5, false).initStateDict().keys()]).toEqual([]);
  });

  test('Embedding: N(0, 1), the padding row zero', () => {
    const sd = new nn.Embedding(1000, 8, { paddingIdx: -1 }).initStateDict(3);
    const w = sd.get('weight')!.data as Float32Array;
    const s = stats(w.subarray(0, 999 * 8));
    expect(Math.abs(s.mean)).toBeLessThan(0.05);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.05);
    expect([...w.subarray(999 * 8)]).toEqual(new Array(8).fill(0));
  });

  test('MultiheadAttention: xavier-uniform in_proj, zero biases, Linear-default out_proj weight; keys in PyTorch order', () => {
    const E = 64;
    const sd = new nn.MultiheadAttention(E, 4).initStateDict(5);
    expect([...sd.keys()]).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    const inW = stats(sd.get('in_proj_weight')!.data as Float32Array);
    const xavier = Math.sqrt(6 / (E + 3 * E));
    expect(inW.maxAbs).toBeLessThanOrEqual(xavier);
    expect(inW.maxAbs).toBeGreaterThan(0.99 * xavier);
    const outW = stats(sd.get('out_proj.weight')!.data as Float32Array);
    expect(outW.maxAbs).toBeLessThanOrEqual(1 / Math.sqrt(E));
    expect(outW.maxAbs).toBeGreaterThan(0.99 / Math.sqrt(E));
    expect(stats(sd.get('in_proj_bias')!.data as Float32Array).maxAbs).toBe(0);
    expect(stats(sd.get('out_proj.bias')!.data as Float32Array).maxAbs).toBe(0);
    expect([...new nn.MultiheadAttention(8, 2, { bias: false }).initStateDict().keys()]).toEqual([
      'in_proj_weight',
      'out_proj.weight',
    ]);
  });

  test('Linear: weight and bias U(±1/√in_features)', () => {
    const sd = new nn.Linear(100, 50).initStateDict(1);
    for (const k of ['weight', 'bias']) {
      const s = stats(sd.get(k)!.data as Float32Array);
      expect(s.maxAbs).toBeLessThanOrEqual(0.1);
      expect(s.maxAbs).toBeGreaterThan(k === 'weight' ? 0.099 : 0.08);
    }
  });

  test('TransformerEncoder: layers.<i>.… then norm.…, PyTorch state_dict keys', () => {
    const enc = new nn.TransformerEncoder(
      new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }),
      2,
      new nn.LayerNorm(8),
    );
    const keys = [...enc.paramSpecs().keys()];
    const layer = [
      'self_attn.in_proj_weight',
      'self_attn.in_proj_bias',
      'self_attn.out_proj.weight',
      'self_attn.out_proj.bias',
      'linear1.weight',
      'linear1.bias',
      'linear2.weight',
      'linear2.bias',
      'norm1.weight',
      'norm1.bias',
      'norm2.weight',
      'norm2.bias',
    ];
    expect(keys).toEqual([
      ...layer.map((k) => `layers.0.${k}`),
      ...layer.map((k) => `layers.1.${k}`),
      'norm.weight',
      'norm.bias',
    ]);
    expect(enc.paramSpecs().get('layers.1.linear1.weight')!.shape).toEqual([16, 8]);
    // dim_feedforward defaults to 2048, as PyTorch.
    expect(new nn.TransformerEncoderLayer(8, 2).paramSpecs().get('linear1.weight')!.shape).toEqual([2048, 8]);
    // bias=false (PyTorch >= 2.1) drops every bias.
    expect(
      [...new nn.TransformerEncoderLayer(8, 2, { bias: false }).paramSpecs().keys()].filter((k) => k.endsWith('bias')),
    ).toEqual([]);
  });

  test("TransformerEncoder: the layers start equal, as PyTorch's deep copies (layer 0 still draws as a layer would)", () => {
    const enc = new nn.TransformerEncoder(
      new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }),
      3,
      new nn.LayerNorm(8),
    );
    const sd = enc.initStateDict(4);
    const layer0 = [...sd.keys()].filter((k) => k.startsWith('layers.0.'));
    expect(layer0.length).toBe(12);
    for (const k of layer0)
      for (const i of [1, 2]) expect(sd.get(k.replace('layers.0.', `layers.${i}.`))!.data).toEqual(sd.get(k)!.data);
    // Copies, not shared arrays; another seed gives other values.
    expect(sd.get('layers.1.linear1.weight')!.data).not.toBe(sd.get('layers.0.linear1.weight')!.data);
    expect(enc.initStateDict(5).get('layers.0.linear1.weight')!.data).not.toEqual(
      sd.get('layers.0.linear1.weight')!.data,
    );
    // Layer 0 draws what a lone layer draws from the same seed.
    expect(sd.get('layers.0.self_attn.in_proj_weight')!.data).toEqual(
      new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }).initStateDict(4).get('self_attn.in_proj_weight')!
        .data,
    );
  });
});

describe('build-time errors name the module path, the module and the shapes in PyTorch terms', () => {
  const g = () => new Graph('err');
  test('Linear with the wrong in_features', () => {
    const r = new Root('fc', new nn.Linear(8, 3));
    const x = g().input('x', 'float32', [4, 6]);
    expect(() => r.m.call(x)).toThrow(
      "Linear at 'fc': Linear(in_features=8, out_features=3) got input of shape [4, 6]; its last axis must be 8",
    );
  });
  test('LayerNorm, Embedding, PReLU', () => {
    const gr = g();
    expect(() => new Root('ln', new nn.LayerNorm([3, 5])).m.call(gr.input('a', 'float32', [2, 5, 3]))).toThrow(
      "LayerNorm at 'ln': LayerNorm(normalized_shape=[3, 5]) got input of shape [2, 5, 3]",
    );
    expect(() => new Root('emb', new nn.Embedding(10, 4)).m.call(gr.input('b', 'float32', [2, 3]))).toThrow(
      "Embedding at 'emb': Embedding(10, 4) needs integer indices (int64), got float32[2,3]",
    );
    expect(() => new nn.Embedding(10, 4, { maxNorm: 1 })).toThrow('max_norm is not supported');
    expect(() => new Root('act', new nn.PReLU(3)).m.call(gr.input('c', 'float32', [2, 4, 5]))).toThrow(
      "PReLU at 'act': PReLU(num_parameters=3) got input of shape [2, 4, 5]",
    );
  });
  test('MultiheadAttention: embed_dim, masks, divisibility, kdim', () => {
    const gr = g();
    const mha = new Root('attn', new nn.MultiheadAttention(8, 2)).m as nn.MultiheadAttention;
    const q = gr.input('q', 'float32', [5, 3, 8]);
    expect(() => mha.call(q, gr.input('k', 'float32', [6, 3, 4]), gr.input('v', 'float32', [6, 3, 4]))).toThrow(
      "MultiheadAttention at 'attn': MultiheadAttention(embed_dim=8, num_heads=2): key of shape [6, 3, 4] does not fit",
    );
    expect(() => mha.call(q, q, q, { attnMask: gr.input('m', 'bool', [5, 4]) })).toThrow(
      'attn_mask of shape [5, 4] must be (L, S) = [5, 5] or (N·num_heads, L, S) = [6, 5, 5]',
    );
    expect(() => mha.call(q, q, q, { keyPaddingMask: gr.input('p', 'bool', [5, 3]) })).toThrow(
      'key_padding_mask of shape [5, 3] must be [3, 5] ((N, S))',
    );
    expect(() => new nn.MultiheadAttention(8, 3)).toThrow('embed_dim (8) must be divisible by num_heads (3)');
    expect(() => new nn.MultiheadAttention(8, 2, { kdim: 4 })).toThrow(
      'kdim/vdim other than embed_dim (8) are not supported',
    );
  });
  test('losses: target shapes and dtypes', () => {
    const gr = g();
    const x = gr.input('x', 'float32', [4, 5]);
    expect(() => F.crossEntropy(x, gr.input('t', 'int64', [5]))).toThrow(
      "cross_entropy at '<root>': input of shape [4, 5] (classes on axis 1) needs class indices (int64) of shape [4], got int64[5]",
    );
    expect(() => F.crossEntropy(x, gr.input('p', 'float32', [4, 4]))).toThrow(
      'or class probabilities (float32, shape [4, 5]), got float32[4,4]',
    );
    expect(() => F.crossEntropy(x, gr.input('t2', 'int64', [4]), { weight: gr.input('w', 'float32', [4]) })).toThrow(
      'weight must have shape [5]',
    );
    expect(() => F.mseLoss(x, gr.input('y', 'float32', [4, 1]))).toThrow(
      'input of shape [4, 5] and target of shape [4, 1] differ',
    );
    expect(() => F.mseLoss(x, x, { reduction: 'avg' as 'mean' })).toThrow(
      "reduction must be 'none', 'mean' or 'sum', got 'avg'",
    );
  });
});

test('MultiheadAttention: an unbatched (L, E) call equals the batched call with N = 1', async () => {
  const mha = new nn.MultiheadAttention(8, 2);
  const g = new Graph('unbatched');
  const x = g.input('x', 'float32', [5, 8]);
  const x1 = g.input('x1', 'float32', [5, 1, 8]);
  const [y, w] = mha.call(x, x, x, { keyPaddingMask: g.input('m', 'bool', [5]) });
  const [y1, w1] = mha.call(x1, x1, x1, { keyPaddingMask: g.input('m1', 'bool', [1, 5]) });
  expect([y.shape, w!.shape, y1.shape, w1!.shape]).toEqual([
    [5, 8],
    [5, 5],
    [5, 1, 8],
    [1, 5, 5],
  ]);
  g.output('y', y);
  g.output('w', w!);
  g.output('y1', y1);
  g.output('w1', w1!);
  const data = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.7));
  const mask = Uint8Array.from([0, 0, 1, 0, 1]);
  const out = await runGraph(
    g,
    {
      x: { dtype: 'float32', shape: [5, 8], data },
      x1: { dtype: 'float32', shape: [5, 1, 8], data },
      m: { dtype: 'bool', shape: [5], data: mask },
      m1: { dtype: 'bool', shape: [1, 5], data: mask },
    },
    { weights: mha.initStateDict(2) },
  );
  expect([...out.y.data]).toEqual([...out.y1.data]);
  expect([...out.w.data]).toEqual([...out.w1.data]);
  // Masked keys get zero weight.
  expect(out.w.data[2]).toBe(0);
  expect(out.w.data[4]).toBe(0);
});

describe('dropout in train mode, identity in eval mode', () => {
  const x = Float32Array.from({ length: 5 * 2 * 8 }, (_, i) => Math.cos(i * 0.9));
  const feedX = { dtype: 'float32' as const, shape: [5, 2, 8], data: x };
  const seed = (v: number) => ({ dtype: 'int32' as const, shape: [], data: Int32Array.from([v]) });

  test('MultiheadAttention: train-mode weights are the eval weights zeroed or scaled by 1/(1 − p); seeded', async () => {
    const mha = new nn.MultiheadAttention(8, 2, { dropout: 0.5 });
    const weights = mha.initStateDict(4);
    const run = async (train: boolean, s?: number) => {
      mha.train(train);
      const g = new Graph(`mha_${train}`);
      const t = g.input('x', 'float32', [5, 2, 8]);
      const [y, w] = mha.call(t, t, t, { averageAttnWeights: false });
      g.output('y', y);
      g.output('w', w!);
      expect(g.inputs.map((i) => i.name)).toEqual(train ? ['x', 'dropout_seed'] : ['x']);
      return runGraph(g, s === undefined ? { x: feedX } : { x: feedX, dropout_seed: seed(s) }, { weights });
    };
    const ev = await run(false);
    const [a, a2, b] = [await run(true, 11), await run(true, 11), await run(true, 12)];
    expect([...a.y.data]).toEqual([...a2.y.data]);
    expect([...a.y.data]).not.toEqual([...b.y.data]);
    let zeros = 0;
    a.w.data.forEach((v, k) => {
      const e = Number(ev.w.data[k]);
      if (v === 0) zeros++;
      else expect(Math.abs(Number(v) - 2 * e)).toBeLessThan(1e-6);
    });
    expect(zeros).toBeGreaterThan(a.w.data.length * 0.3);
    expect(zeros).toBeLessThan(a.w.data.length * 0.7);
  });

  test("TransformerEncoderLayer: PyTorch's dropout children; eval() equals dropout 0; train mode depends on the seed", async () => {
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5 });
    expect(layer.children().map(([n]) => n)).toEqual([
      'self_attn',
      'linear1',
      'dropout',
      'linear2',
      'norm1',
      'norm2',
      'dropout1',
      'dropout2',
    ]);
    const noDrop = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 });
    const weights = noDrop.initStateDict(6);
    const run = async (m: nn.Module, s?: number) => {
      const g = new Graph('enc');
      g.output('y', m.call(g.input('x', 'float32', [5, 2, 8])));
      return (await runGraph(g, s === undefined ? { x: feedX } : { x: feedX, dropout_seed: seed(s) }, { weights })).y
        .data;
    };
    const ref = [...(await run(noDrop))];
    const [t1, t2] = [[...(await run(layer, 1))], [...(await run(layer, 2))]];
    expect(t1).not.toEqual(ref);
    expect(t1).not.toEqual(t2);
    expect([...(await run(layer.eval()))]).toEqual(ref);
    // A TransformerEncoder's copies take the given layer's mode.
    const enc = new nn.TransformerEncoder(layer, 3);
    expect([...enc.layers].map((l) => l.training)).toEqual([false, false, false]);
  });
});

/** The example of docs/nn-sequence.md. */
class Tagger extends nn.Module {
  readonly encoder = this.addModule(
    'encoder',
    new nn.TransformerEncoder(
      new nn.TransformerEncoderLayer(64, 4, {
        dimFeedforward: 128,
        batchFirst: true,
        normFirst: true,
        activation: 'gelu',
      }),
      2,
    ),
  );
  readonly head = this.addModule('head', new nn.Linear(64, 10));
  forward(x: Tensor) {
    return this.head.call(this.encoder.call(x));
  }
}

test('the docs example builds, and its loss differentiates w.r.t. every parameter', () => {
  const model = new Tagger();
  const g = new Graph('tagger');
  const logits = model.call(g.input('x', 'float32', [8, 16, 64]));
  const loss = F.crossEntropy(transpose(logits, [0, 2, 1]), g.input('y', 'int64', [8, 16]), { labelSmoothing: 0.1 });
  expect(loss.shape).toEqual([]);
  const keys = [...model.paramSpecs().keys()];
  expect(keys[0]).toBe('encoder.layers.0.self_attn.in_proj_weight');
  const grads = grad(
    loss,
    keys.map((k) => g.params.get(k)!),
  );
  expect(grads.map((t) => t.shape)).toEqual(keys.map((k) => model.paramSpecs().get(k)!.shape));
});

/** Float64 central-difference checks of the composed functional forms (GELU's exact form is float32: Erf). */
const unary = (label: string, f: (x: Tensor) => Tensor, values?: number[]): GradCase => ({
  label,
  inputs: [{ shape: values ? [values.length] : [3, 4], range: [-3, 3], values }],
  build: ([x]) => f(x),
});
const idx = (values: number[]) => ({ shape: [values.length], dtype: 'int64' as const, values });
const GRAD: GradCase[] = [
  unary('elu', (x) => F.elu(x, 0.7), [-2.1, -0.4, 0.3, 1.7, -1.2, 2.4]),
  unary('prelu', (x) => F.prelu(x, x.graph.constant([0.3], 'float64', [1])), [-2.1, -0.4, 0.3, 1.7]),
  unary('gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' })),
  { ...unary('gelu exact (float32)', (x) => F.gelu(x)), dtype: 'float32' },
  unary('silu', F.silu),
  unary('mish', F.mish),
  unary('softplus', F.softplus),
  unary('hardswish', F.hardswish, [-3.5, -2.2, -0.7, 0.4, 1.9, 2.8, 3.6]),
  unary('logSoftmax', (x) => F.logSoftmax(x, 1)),
  unary('layerNorm', (x) => F.layerNorm(x, [4], null, null, 1e-5)),
  {
    label: 'layerNorm over two axes, weight and bias',
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }],
    build: ([x, w, b]) => F.layerNorm(x, [3, 4], w, b, 1e-5),
  },
  {
    label: 'crossEntropy, weights + ignore_index + smoothing',
    inputs: [{ shape: [4, 3] }, idx([0, 2, 1, 1]), { shape: [3], range: [0.5, 1.5], diff: false }],
    build: ([x, t, w]) => F.crossEntropy(x, t, { weight: w, ignoreIndex: 1, labelSmoothing: 0.1 }),
  },
  {
    label: 'crossEntropy, probabilities',
    inputs: [{ shape: [2, 3, 2] }, { shape: [2, 3, 2], range: [0, 1] }],
    build: ([x, p]) => F.crossEntropy(x, p, { reduction: 'none' }),
  },
  {
    label: 'bceWithLogits + posWeight',
    inputs: [{ shape: [3, 2] }, { shape: [3, 2], range: [0, 1] }, { shape: [2], range: [0.5, 2], diff: false }],
    build: ([x, t, pw]) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: pw }),
  },
  {
    label: 'binaryCrossEntropy',
    inputs: [
      { shape: [5], range: [0.1, 0.9] },
      { shape: [5], range: [0, 1], diff: false },
    ],
    build: ([x, t]) => F.binaryCrossEntropy(x, t),
  },
  {
    label: 'huber',
    inputs: [
      { shape: [4], values: [-1.3, 0.2, 0.5, 2.0] },
      { shape: [4], values: [0, 0, 0, 0], diff: false },
    ],
    build: ([x, t]) => F.huberLoss(x, t, { delta: 0.7 }),
  },
  {
    label: 'smoothL1',
    inputs: [
      { shape: [4], values: [-1.3, 0.2, 0.3, 2.0] },
      { shape: [4], values: [0, 0, 0, 0], diff: false },
    ],
    build: ([x, t]) => F.smoothL1Loss(x, t, { beta: 0.5 }),
  },
  {
    label: 'klDiv batchmean',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3], range: [0.1, 1] }],
    build: ([x, p]) => F.klDiv(x, p, { reduction: 'batchmean' }),
  },
  {
    label: 'cosineSimilarity',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    build: ([a, b]) => F.cosineSimilarity(a, b),
  },
  {
    label: 'diceLoss on softmax',
    inputs: [{ shape: [2, 3, 2, 2] }, { shape: [2, 2, 2], dtype: 'int64', values: [0, 1, 2, 1, 0, 2, 2, 1] }],
    build: ([x, t]) => F.diceLoss(softmax(x, { axis: 1 }), t),
  },
];

test.each(GRAD.map((c) => [c.label!, c]))('gradient check: %s', async (_l, c) => {
  const r = await gradCheck(c);
  expect(r.rel).toBeLessThan(r.tol);
});

test("every model exported above passes ONNX's full checker", () => {
  expect(checkRecordedModels()).toEqual([]);
});
