/**
 * Random-direction central differences (test/helpers/gradcheck.ts) through the composite functional ops:
 * their gradients come from the primitives' VJPs, checked here end to end. Conv-based rows run in float32
 * (ORT's CPU Conv has no float64 kernel); they are linear in each input, so eps can be large (nn.grad.ts).
 */
import * as F from '../../../sdk/functional';
import { add, mul } from '../../../sdk/ops';
import { type GradCase, gradCheck } from '../../helpers/gradcheck';

const f32 = { dtype: 'float32' as const, eps: 1e-2, tol: 1e-3 };

const CASES: GradCase[] = [
  {
    label: 'convTranspose2d stride 2, output_padding 1, groups 2, bias',
    ...f32,
    inputs: [{ shape: [1, 4, 3, 3] }, { shape: [4, 3, 3, 2] }, { shape: [6] }],
    build: ([x, w, b]) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
  },
  {
    label: 'convTranspose3d stride [1,2,2], dilation 2',
    ...f32,
    inputs: [{ shape: [1, 2, 2, 3, 2] }, { shape: [2, 2, 2, 2, 2] }],
    build: ([x, w]) => F.convTranspose3d(x, w, null, { stride: [1, 2, 2], dilation: 2 }),
  },
  {
    label: 'conv1d padding same, even kernel',
    ...f32,
    inputs: [{ shape: [2, 2, 7] }, { shape: [3, 2, 4] }],
    build: ([x, w]) => F.conv1d(x, w, null, { padding: 'same' }),
  },
  {
    label: 'avgPool2d ceil mode, exclude pad (Pad + AveragePool + divisor map)',
    ...f32,
    inputs: [{ shape: [1, 2, 6, 5] }],
    build: ([x]) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  },
  {
    label: 'adaptiveAvgPool2d 7×6 → 3×4 (separable slices)',
    inputs: [{ shape: [1, 2, 7, 6] }],
    build: ([x]) => F.adaptiveAvgPool2d(x, [3, 4]),
  },
  { label: 'adaptiveMaxPool1d 9 → 4', inputs: [{ shape: [2, 2, 9] }], build: ([x]) => F.adaptiveMaxPool1d(x, 4) },
  {
    label: 'batchNorm with batch statistics, affine (float64)',
    inputs: [{ shape: [3, 2, 4] }, { shape: [2] }, { shape: [2] }],
    build: ([x, w, b]) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }),
  },
  {
    label: 'batchNorm eval: gradient w.r.t. x, weight, bias; running stats fixed',
    inputs: [
      { shape: [2, 3, 2] },
      { shape: [3], diff: false },
      { shape: [3], range: [0.5, 1.5], diff: false },
      { shape: [3] },
      { shape: [3] },
    ],
    build: ([x, rm, rv, w, b]) => F.batchNorm(x, rm, rv, { weight: w, bias: b }),
  },
  {
    label: 'instanceNorm 2-D, affine',
    inputs: [{ shape: [2, 3, 3, 4] }, { shape: [3] }, { shape: [3] }],
    build: ([x, w, b]) => F.instanceNorm(x, { weight: w, bias: b }),
  },
  {
    label: 'groupNorm rank 3 (float64)',
    inputs: [{ shape: [2, 4, 5] }, { shape: [4] }, { shape: [4] }],
    build: ([x, w, b]) => F.groupNorm(x, 2, { weight: w, bias: b }),
  },
  {
    label: 'interpolate bilinear 3×4 → 7×5',
    ...f32,
    inputs: [{ shape: [1, 2, 3, 4] }],
    build: ([x]) => F.interpolate(x, { size: [7, 5], mode: 'bilinear' }),
  },
  {
    label: 'flatten then a product',
    inputs: [{ shape: [2, 3, 4] }],
    build: ([x]) => mul(F.flatten(x, 1), add(F.flatten(x, 1), 1)),
  },
];

test.each(CASES.map((c) => [c.label, c] as const))('%s', async (_, c) => {
  const r = await gradCheck(c);
  expect(r.rel).toBeLessThan(r.tol);
});
