/**
 * The polyphase input gradients (sdk/ops/polyphase.ts: strided Conv input gradients, overlapping max-pool
 * gradients) against the zero-interleaved lowerings they replaced (test/ref/zero-interleave.ts), element by
 * element in ONNX Runtime: strides 2 and 3, phases without a tap, dilations, groups, padding, odd sizes, 1-D to
 * 3-D, and max-pool windows with ties. Their central-difference checks are rows of test/cases/nn.grad.ts.
 */
import { graphTensorSizes } from '../../runtime/engine/gpu-limits';
import { Graph } from '../../sdk/graph';
import { conv, maxPool } from '../../sdk/ops';
import type { ConvAttrs } from '../../sdk/ops/conv';
import { convInputGrad } from '../../sdk/ops/conv-grad';
import { maxPoolGradGeneral } from '../../sdk/ops/max-pool-grad';
import { poolAttrs, type PoolOptions } from '../../sdk/ops/pool-kit';
import type { NamedArray } from '../../sdk/state';
import { makeInput } from '../helpers/gradcheck';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';
import { oneHotMaxPoolGrad, zeroInterleavedInputGrad } from '../ref/zero-interleave';

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function expectClose(got: NamedArray, want: NamedArray): void {
  expect(got.shape).toEqual(want.shape);
  const [g, w] = [got.data as Float32Array, want.data as Float32Array];
  const err = maxAbs(g.map((v, i) => v - w[i]));
  expect(maxAbs(w)).toBeGreaterThan(0);
  expect(err).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(w)));
}

interface ConvCase {
  label: string;
  x: number[];
  w: number[];
  a: Partial<ConvAttrs> & { pads: number[]; strides: number[] };
}

const CONV: ConvCase[] = [
  { label: '1-D k3 s2 p1, even length', x: [2, 3, 10], w: [4, 3, 3], a: { pads: [1, 1], strides: [2] } },
  { label: '1-D k5 s3 p[2,1], odd length', x: [2, 2, 13], w: [3, 2, 5], a: { pads: [2, 1], strides: [3] } },
  { label: '1-D k2 s3, dropped tail', x: [1, 2, 11], w: [2, 2, 2], a: { pads: [0, 0], strides: [3] } },
  {
    label: '2-D k7 s2 p3 (ResNet stem)',
    x: [2, 3, 13, 11],
    w: [5, 3, 7, 7],
    a: { pads: [3, 3, 3, 3], strides: [2, 2] },
  },
  {
    label: '2-D 1×1 s2 (ResNet downsample)',
    x: [3, 4, 9, 8],
    w: [6, 4, 1, 1],
    a: { pads: [0, 0, 0, 0], strides: [2, 2] },
  },
  {
    label: '2-D k3 s[3,2] dilation [2,1]',
    x: [2, 2, 14, 9],
    w: [3, 2, 3, 4],
    a: { pads: [1, 2, 0, 1], strides: [3, 2], dilations: [2, 1] },
  },
  {
    label: '2-D k3 s2 dilation 2 (gcd 2)',
    x: [1, 2, 11, 10],
    w: [2, 2, 3, 3],
    a: { pads: [2, 1, 2, 2], strides: [2, 2], dilations: [2, 2] },
  },
  {
    label: '2-D k3 s2 groups 2',
    x: [2, 4, 9, 7],
    w: [6, 2, 3, 3],
    a: { pads: [1, 1, 1, 1], strides: [2, 2], group: 2 },
  },
  {
    label: '2-D 1×1 s2 pads 1 (pad > dilation·(k−1))',
    x: [1, 3, 7, 6],
    w: [2, 3, 1, 1],
    a: { pads: [1, 1, 1, 1], strides: [2, 2] },
  },
  {
    label: '3-D k3 s2 p1, odd sizes',
    x: [2, 2, 7, 5, 9],
    w: [3, 2, 3, 3, 3],
    a: { pads: [1, 1, 1, 1, 1, 1], strides: [2, 2, 2] },
  },
  {
    label: '3-D k [3,2,3] s [2,3,1]',
    x: [1, 3, 6, 8, 5],
    w: [2, 3, 3, 2, 3],
    a: { pads: [1, 0, 1, 0, 1, 1], strides: [2, 3, 1] },
  },
];

describe('strided conv input gradient: polyphase = zero-interleaved', () => {
  test.each(CONV.map((c) => [c.label, c] as const))('%s', async (_, c) => {
    const s = c.x.length - 2;
    const a: ConvAttrs = { dilations: new Array(s).fill(1), group: 1, ...c.a };
    const g = new Graph('dx');
    const out = conv(g.input('x', 'float32', c.x), g.input('w0', 'float32', c.w), null, a).shape;
    const dy = g.input('dy', 'float32', [...out]);
    const w = g.input('w', 'float32', c.w);
    g.output('phased', convInputGrad(dy, w, a, c.x));
    g.output('interleaved', zeroInterleavedInputGrad(dy, w, a, c.x));
    const rng = new Rng(5);
    const r = await runGraph(g, {
      dy: makeInput({ shape: [...out] }, 'float32', rng),
      w: makeInput({ shape: c.w }, 'float32', rng),
      x: makeInput({ shape: c.x }, 'float32', rng),
      w0: makeInput({ shape: c.w }, 'float32', rng),
    });
    expect(r.phased.shape).toEqual(c.x);
    expectClose(r.phased, r.interleaved);
  });
});

const POOL: { label: string; x: number[]; o: PoolOptions }[] = [
  { label: '1-D k3 s2 p1', x: [2, 3, 11], o: { kernel: [3], strides: [2], pads: [1, 1] } },
  { label: '1-D k4 s3 p2, odd length', x: [2, 2, 13], o: { kernel: [4], strides: [3], pads: [2, 2] } },
  {
    label: '2-D k3 s2 p1 (ResNet stem), odd sizes',
    x: [2, 4, 9, 11],
    o: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  { label: '2-D k3 s[3,2] p[1,0,1,1]', x: [2, 3, 10, 7], o: { kernel: [3, 3], strides: [3, 2], pads: [1, 0, 1, 1] } },
  { label: '2-D k2 s1 (every input in four windows)', x: [1, 2, 6, 5], o: { kernel: [2, 2], strides: [1, 1] } },
  { label: '3-D k3 s2 p1', x: [1, 2, 5, 7, 6], o: { kernel: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] } },
  {
    label: '3-D k [3,2,3] s [2,3,2] dilation [1,2,1]',
    x: [1, 2, 7, 8, 5],
    o: { kernel: [3, 2, 3], strides: [2, 3, 2], pads: [1, 1, 1, 1, 1, 1], dilations: [1, 2, 1] },
  },
];

describe('overlapping max-pool gradient: polyphase = one-hot Conv, ties included', () => {
  test.each(POOL.map((c) => [c.label, c] as const))('%s', async (_, c) => {
    const attrs = poolAttrs(c.o);
    const g = new Graph('pool');
    const x = g.input('x', 'float32', c.x);
    const y = maxPool(x, c.o);
    const dy = g.input('dy', 'float32', [...y.shape]);
    g.output('phased', maxPoolGradGeneral(dy, x, y, attrs));
    g.output('oneHot', oneHotMaxPoolGrad(dy, x, y, attrs));
    const rng = new Rng(9);
    const xs = makeInput({ shape: c.x }, 'float32', rng);
    // Values on a coarse grid: many windows hold tied maxima (the first in scan order gets dy).
    (xs.data as Float32Array).forEach((v, i, d) => (d[i] = Math.round(v * 3) / 3));
    const r = await runGraph(g, { x: xs, dy: makeInput({ shape: [...y.shape] }, 'float32', rng) });
    expect(r.phased.shape).toEqual(c.x);
    expectClose(r.phased, r.oneHot);
  });

  test('the ResNet pool gradient has no Conv and no tensor larger than the (padded) patch stack', () => {
    const g = new Graph('stem');
    const o = { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };
    const x = g.input('x', 'float32', [2, 8, 16, 16]);
    const y = maxPool(x, o);
    g.output('dx', maxPoolGradGeneral(g.input('dy', 'float32', [2, 8, 8, 8]), x, y, poolAttrs(o)));
    expect(g.nodes.map((n) => n.prim)).not.toContain('Conv');
    // K · N · C · (O + 1)²: dy at each offset, one row of zeros around. The one-hot form interleaved K·C
    // channels at input resolution (9 · 2 · 8 · 16², 3.2× this).
    const bound = 4 * 9 * 2 * 8 * 9 * 9;
    expect(Math.max(...graphTensorSizes(g).map((t) => t.bytes))).toBeLessThanOrEqual(bound);
  });
});
