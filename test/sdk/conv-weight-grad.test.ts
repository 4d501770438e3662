/**
 * The convolution weight gradient's lowering (sdk/ops/conv-grad.ts) against a plain-TypeScript dW (Σ over
 * batch and output positions of dy · X at the input position each kernel tap reads), for both operands cut,
 * strides, dilations, asymmetric and over-large pads, even kernels, groups, batches > 1 and every form (1-D/2-D:
 * a batch↔channel Conv up to 4 input channels; im2col up to a size, which these small cases are under in 3-D too;
 * a product per offset, forced for every case by `im2colMax` 0). The central-difference
 * checks (test/cases/nn.grad.ts) see dW only through one random direction; this compares every element.
 */
import { Graph } from '../../sdk/graph';
import { conv } from '../../sdk/ops';
import type { ConvAttrs } from '../../sdk/ops/conv';
import { convWeightGrad } from '../../sdk/ops/conv-grad';
import { makeInput } from '../helpers/gradcheck';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';
import { forEachIndex, ND } from '../ref/nd';

/** dW[co, c, j] = Σ_n Σ_q dy[n, co, q] · X[n, g·C_in/g + c, q·stride + j·dilation − pad] (zero outside X). */
function refWeightGrad(x: ND, dy: ND, wShape: number[], a: ConvAttrs): ND {
  const [n, , ...sp] = x.shape;
  const [co, cig] = wShape;
  const out = dy.shape.slice(2);
  const cog = co / a.group;
  const dw = new ND([...wShape]);
  dw.forEachIndex(([o, c, ...j], flat) => {
    const ci = Math.floor(o / cog) * cig + c;
    let acc = 0;
    for (let b = 0; b < n; b++) {
      forEachIndex(out, (q) => {
        const p = q.map((v, i) => v * a.strides[i] + j[i] * a.dilations[i] - a.pads[i]);
        if (p.some((v, i) => v < 0 || v >= sp[i])) return;
        acc += dy.get([b, o, ...q]) * x.get([b, ci, ...p]);
      });
    }
    dw.data[flat] = acc;
  });
  return dw;
}

interface Case {
  label: string;
  x: number[];
  w: number[];
  pads: number[];
  strides?: number[];
  dilations?: number[];
  group?: number;
}

const CASES: Case[] = [
  { label: '1-D pads 1', x: [1, 3, 9], w: [4, 3, 3], pads: [1, 1] },
  { label: '2-D asymmetric pads, C_out > C_in (windows of X)', x: [1, 2, 6, 7], w: [3, 2, 3, 3], pads: [1, 0, 2, 1] },
  { label: '2-D asymmetric pads, C_in > C_out (windows of dy)', x: [1, 4, 6, 7], w: [2, 4, 3, 3], pads: [0, 2, 1, 1] },
  { label: '3-D pads 1, batch 2, windows of X', x: [2, 2, 5, 6, 7], w: [3, 2, 3, 3, 3], pads: [1, 1, 1, 1, 1, 1] },
  { label: '3-D pads 1, batch 2, windows of dy', x: [2, 4, 5, 6, 7], w: [2, 4, 3, 3, 3], pads: [1, 1, 1, 1, 1, 1] },
  {
    label: '3-D dilation [2,1,2], no pads (windows reach past the last plane)',
    x: [1, 2, 7, 5, 6],
    w: [3, 2, 3, 2, 2],
    pads: [0, 0, 0, 0, 0, 0],
    dilations: [2, 1, 2],
  },
  {
    label: '3-D dilation 2, pads 2, windows of dy',
    x: [1, 3, 6, 5, 7],
    w: [2, 3, 3, 3, 3],
    pads: [2, 2, 2, 2, 2, 2],
    dilations: [2, 2, 2],
  },
  { label: '2-D 1×1 kernel, pads 2 (pad > dilation·(k−1))', x: [1, 3, 4, 5], w: [2, 3, 1, 1], pads: [2, 2, 2, 2] },
  { label: '2-D k [2,3] even kernel, pads [1,0,0,2]', x: [2, 2, 5, 4], w: [3, 2, 2, 3], pads: [1, 0, 0, 2] },
  {
    label: '3-D stride 2, batch 2 (remainders)',
    x: [2, 2, 6, 5, 7],
    w: [3, 2, 3, 3, 3],
    pads: [1, 1, 1, 1, 1, 1],
    strides: [2, 2, 2],
  },
  {
    label: '2-D stride [2,1], dilation [1,2]',
    x: [1, 3, 7, 8],
    w: [2, 3, 3, 2],
    pads: [1, 1, 0, 1],
    strides: [2, 1],
    dilations: [1, 2],
  },
  // 1-D/2-D without groups: up to 4 input channels one batch↔channel Conv, else im2col (one GEMM over every
  // offset, batch and space).
  {
    label: '2-D k3 s2 p1, batch 3, 5 channels (im2col of X)',
    x: [3, 5, 9, 8],
    w: [7, 5, 3, 3],
    pads: [1, 1, 1, 1],
    strides: [2, 2],
  },
  { label: '1-D k3 dilation 2, 6 channels (im2col of X)', x: [2, 6, 11], w: [7, 6, 3], pads: [1, 2], dilations: [2] },
  {
    label: '2-D k7 s2 p3, batch 3 (ResNet stem: the batch↔channel Conv)',
    x: [3, 3, 13, 11],
    w: [5, 3, 7, 7],
    pads: [3, 3, 3, 3],
    strides: [2, 2],
  },
  {
    label: '2-D 1×1 s2, batch 3 (ResNet downsample)',
    x: [3, 4, 9, 8],
    w: [6, 4, 1, 1],
    pads: [0, 0, 0, 0],
    strides: [2, 2],
  },
  { label: '2-D k3 p1, batch 4, C_in > C_out (im2col of dy)', x: [4, 6, 7, 5], w: [2, 6, 3, 3], pads: [1, 1, 1, 1] },
  { label: '1-D k3 s3 dilation 2, batch 3', x: [3, 2, 14], w: [3, 2, 3], pads: [2, 1], strides: [3], dilations: [2] },
  { label: '2-D groups 2, batch 2, windows of X', x: [2, 4, 6, 5], w: [6, 2, 3, 3], pads: [1, 1, 1, 1], group: 2 },
  { label: '3-D groups 3, windows of dy', x: [1, 6, 4, 5, 4], w: [3, 2, 3, 3, 3], pads: [1, 1, 1, 1, 1, 1], group: 3 },
];

function attrsOf(c: Case): ConvAttrs {
  const s = c.x.length - 2;
  return {
    pads: c.pads,
    strides: c.strides ?? new Array(s).fill(1),
    dilations: c.dilations ?? new Array(s).fill(1),
    group: c.group ?? 1,
  };
}

async function lowered(c: Case, x: ND, dy: ND, im2colMax?: number): Promise<Float32Array> {
  const a = attrsOf(c);
  const g = new Graph('dw');
  const xt = g.input('x', 'float32', c.x);
  const dyt = g.input('dy', 'float32', dy.shape);
  g.output('dw', convWeightGrad(dyt, xt, a, c.w, im2colMax));
  const f32 = (t: ND) => ({ dtype: 'float32' as const, shape: t.shape, data: Float32Array.from(t.data) });
  return (await runGraph(g, { x: f32(x), dy: f32(dy) })).dw.data as Float32Array;
}

describe('conv weight gradient against the direct sum', () => {
  const forms = [
    ['default form', undefined],
    ['per-offset form', 0],
  ] as const;
  const table = CASES.flatMap((c) => forms.map(([form, max]) => [c.label, form, c, max] as const));
  test.each(table)('%s (%s)', async (_, __, c, im2colMax) => {
    const rng = new Rng(3);
    const a = attrsOf(c);
    // The output shape from the forward rule (conv's shape inference).
    const g = new Graph('shape');
    const outShape = conv(g.input('x', 'float32', c.x), g.input('w', 'float32', c.w), null, a).shape;
    const x = ND.from(c.x, makeInput({ shape: c.x }, 'float32', rng).data as Float32Array);
    const dy = ND.from([...outShape], makeInput({ shape: [...outShape] }, 'float32', rng).data as Float32Array);
    const ref = refWeightGrad(x, dy, c.w, a);
    const scale = Math.max(...ref.data.map(Math.abs));
    const got = await lowered(c, x, dy, im2colMax);
    const err = Math.max(...Array.from(got, (v, i) => Math.abs(v - ref.data[i])));
    expect(err).toBeLessThan(1e-5 * Math.max(1, scale));
  });
});
