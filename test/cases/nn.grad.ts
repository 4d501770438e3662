/**
 * Gradient checks of the NN primitives (random direction, central differences), plus hand-computed cases.
 *
 * ORT's CPU Conv, MaxPool, AveragePool and Resize are float32-only, so those rows run in float32; MatMul and
 * Gemm have float64 kernels (default tolerance 1e-6).
 *
 * Tolerance of the float32 rows (FLOAT32_TOL = 1e-3): every function here is linear or bilinear in its inputs
 * (Conv in (X, W); pools and resizes piecewise linear, and the max-pool inputs keep each window's values 0.1
 * apart so ±eps never reorders them), so the central difference has no truncation error and eps can be large
 * (1e-2). What remains is float32 rounding: f(x ± εu) carries ~1e-7·|y| per element, divided by 2ε, plus the
 * VJP's own float32 sums. Measured over three seeds: relative errors 3e-7..6e-5 when the directional
 * derivative is O(1); up to 2e-4 (default seed) and 8e-4 (one other seed) only where the random direction
 * gives a derivative near zero (|⟨u, J·v⟩| ≈ 0.003–0.01) and the relative measure amplifies absolute ~1e-6.
 */
import { grad } from '../../sdk/autodiff';
import {
  add,
  avgPool,
  batchStandardize,
  conv,
  gemm,
  hashUniform,
  matmul,
  maxPool,
  mul,
  resize,
  standardize,
} from '../../sdk/ops';
import type { NnPrim } from '../../sdk/ops/names';
import type { Tensor } from '../../sdk/tensor';
import type { GradCase, InputSpec } from '../helpers/gradcheck';
import type { PrimCase } from '../helpers/primcheck';
import { Rng } from '../helpers/rng';
import { ND } from '../ref/nd';
import { refMaxPoolGrad } from '../ref/nn';

const FLOAT32_TOL = 1e-3;
const f32 = { dtype: 'float32' as const, eps: 1e-2, tol: FLOAT32_TOL };

type ConvOpts = { pads?: number[]; strides?: number[]; dilations?: number[]; group?: number };
function convGrad(label: string, x: number[], w: number[], bias: boolean, o: ConvOpts): GradCase {
  return {
    label,
    ...f32,
    inputs: [{ shape: x }, { shape: w }, ...(bias ? [{ shape: [w[0]] }] : [])],
    build: ([a, b, c]) => conv(a, b, c ?? null, o),
  };
}

/** Random values, but within each pooling window a permutation of levels 0.1 apart (no near-ties). */
function distinctWindows(shape: number[], kernel: number[], seed: number): InputSpec {
  const rng = new Rng(seed);
  const x = new ND(shape);
  const k = kernel.reduce((a, b) => a * b, 1);
  const base = new Map<string, number>();
  const levels = new Map<string, number[]>();
  x.forEachIndex(([n, c, ...p], flat) => {
    const key = [n, c, ...p.map((v, i) => Math.floor(v / kernel[i]))].join();
    if (!base.has(key)) {
      base.set(key, rng.uniform(-0.5, 0.5));
      const perm = Array.from({ length: k }, (_, i) => i);
      for (let i = k - 1; i > 0; i--) {
        const j = rng.int(0, i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      levels.set(key, perm);
    }
    x.data[flat] = base.get(key)! + 0.1 * levels.get(key)!.pop()!;
  });
  return { shape, values: Array.from(x.data) };
}

/** Random levels 0.1 apart over the whole tensor (no near-ties in any window, overlapping or not). */
function distinctAll(shape: number[], seed: number): InputSpec {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return { shape, values: perm.map((v) => 0.1 * v - 0.05 * n) };
}

type Coord = 'align_corners' | 'half_pixel' | 'asymmetric';
function resizeGrad(label: string, x: number[], sizes: number[], mode: 'linear' | 'nearest', coord: Coord): GradCase {
  return {
    label,
    ...f32,
    inputs: [{ shape: x }],
    build: ([a]) => resize(a, { sizes, mode, coordinateTransformationMode: coord, nearestMode: 'floor' }),
  };
}

export const NN_GRAD_CASES: { [K in NnPrim]: GradCase[] } = {
  MatMul: [
    { label: '2-D', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], build: ([a, b]) => matmul(a, b) },
    {
      label: 'batch broadcast',
      inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }],
      build: ([a, b]) => matmul(a, b),
    },
    // A matrix B under a batched A (a Linear's weight): dB folds the batch axes into one product's rows.
    {
      label: 'batched A, matrix B',
      inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
      build: ([a, b]) => matmul(a, b),
    },
    {
      label: 'rank-4 A, matrix B',
      inputs: [{ shape: [2, 3, 2, 4] }, { shape: [4, 3] }],
      build: ([a, b]) => matmul(a, b),
    },
  ],
  Gemm: [
    { label: 'plain', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], build: ([a, b]) => gemm(a, b) },
    {
      label: 'transA, C [N]',
      inputs: [{ shape: [4, 3] }, { shape: [4, 5] }, { shape: [5] }],
      build: ([a, b, c]) => gemm(a, b, c, { transA: true, alpha: 0.5 }),
    },
    {
      label: 'transB, C [M,1]',
      inputs: [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [3, 1] }],
      build: ([a, b, c]) => gemm(a, b, c, { transB: true, beta: -2 }),
    },
    {
      label: 'transA transB, C [M,N]',
      inputs: [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [3, 5] }],
      build: ([a, b, c]) => gemm(a, b, c, { transA: true, transB: true, alpha: 1.5, beta: 0.25 }),
    },
    {
      label: 'scalar C',
      inputs: [{ shape: [2, 3] }, { shape: [3, 2] }, { shape: [] }],
      build: ([a, b, c]) => gemm(a, b, c, { beta: 3 }),
    },
  ],
  Conv: [
    convGrad('1-D pads 1, bias', [1, 3, 9], [4, 3, 3], true, { pads: [1, 1] }),
    convGrad('2-D asymmetric pads, no bias', [1, 2, 6, 7], [3, 2, 3, 3], false, { pads: [1, 0, 2, 1] }),
    convGrad('3-D 5×6×7 pads 1, bias (C_out > C_in: slices X)', [1, 2, 5, 6, 7], [3, 2, 3, 3, 3], true, {
      pads: [1, 1, 1, 1, 1, 1],
    }),
    convGrad('3-D pads 1 (C_out < C_in: slices dy)', [1, 4, 5, 6, 7], [2, 4, 3, 3, 3], false, {
      pads: [1, 1, 1, 1, 1, 1],
    }),
    convGrad('2-D stride 2 on 7×8 (remainders)', [1, 2, 7, 8], [3, 2, 3, 3], true, {
      pads: [1, 1, 1, 1],
      strides: [2, 2],
    }),
    convGrad('3-D stride 2', [1, 2, 5, 6, 7], [2, 2, 3, 3, 3], false, { pads: [1, 1, 1, 1, 1, 1], strides: [2, 2, 2] }),
    convGrad('1-D stride 3, k2, dropped tail', [1, 2, 10], [2, 2, 2], false, { strides: [3] }),
    convGrad('2-D dilation 2', [1, 2, 9, 8], [3, 2, 3, 3], true, { pads: [2, 2, 2, 2], dilations: [2, 2] }),
    convGrad('2-D dilation [2,1], slices dy', [1, 4, 8, 9], [2, 4, 3, 3], false, {
      pads: [2, 1, 1, 0],
      dilations: [2, 1],
    }),
    convGrad('2-D groups 2, bias (slices X)', [1, 4, 6, 7], [6, 2, 3, 3], true, { pads: [1, 1, 1, 1], group: 2 }),
    convGrad('2-D groups 2, batch 2 (slices dy)', [2, 6, 5, 6], [4, 3, 3, 3], false, { group: 2 }),
    convGrad('3-D batch 2, bias', [2, 3, 5, 6, 7], [4, 3, 3, 3, 3], true, { pads: [1, 1, 1, 1, 1, 1] }),
    convGrad('2-D batch 2, stride 2, groups 2', [2, 4, 7, 6], [4, 2, 3, 3], false, {
      pads: [0, 1, 1, 0],
      strides: [2, 2],
      group: 2,
    }),
    convGrad('2-D 1×1 kernel, pads 1 (pad > dilation·(k−1))', [1, 3, 4, 5], [2, 3, 1, 1], true, { pads: [1, 1, 1, 1] }),
    convGrad('2-D stride 2, C_in > C_out (slices X, X first in the Gemm)', [1, 4, 7, 6], [2, 4, 3, 3], false, {
      pads: [1, 1, 1, 1],
      strides: [2, 2],
    }),
    convGrad('2-D 1×1, pads 2, C_out > C_in (slices a cropped dy, dy first)', [1, 3, 4, 4], [4, 3, 1, 1], false, {
      pads: [2, 2, 2, 2],
    }),
    // Polyphase input gradients (conv-grad.ts): strides 2 and 3, phases with no tap, odd sizes, batch > 1 (im2col dW).
    convGrad('1-D stride 3, k5 pads [2,1], batch 2 (phases of 1 and 2 taps)', [2, 2, 11], [3, 2, 5], true, {
      pads: [2, 1],
      strides: [3],
    }),
    convGrad('2-D 1×1 stride 2, batch 3 (three phases without a tap)', [3, 4, 7, 5], [3, 4, 1, 1], false, {
      pads: [0, 0, 0, 0],
      strides: [2, 2],
    }),
    convGrad('2-D k7 s2 p3, batch 2 (ResNet stem)', [2, 3, 11, 9], [4, 3, 7, 7], false, {
      pads: [3, 3, 3, 3],
      strides: [2, 2],
    }),
    convGrad('2-D stride [3,2], dilation [2,1], pads [1,2,0,1]', [2, 2, 13, 8], [3, 2, 3, 4], true, {
      pads: [1, 2, 0, 1],
      strides: [3, 2],
      dilations: [2, 1],
    }),
    convGrad('3-D stride [2,3,2], k [3,2,3], odd sizes', [2, 2, 5, 7, 6], [2, 2, 3, 2, 3], false, {
      pads: [1, 0, 1, 1, 1, 0],
      strides: [2, 3, 2],
    }),
    convGrad(
      '2-D stride 2, dilation 2 (gcd 2: all three taps in one phase, none in the other)',
      [1, 2, 9, 10],
      [2, 2, 3, 3],
      false,
      {
        pads: [2, 1, 2, 2],
        strides: [2, 2],
        dilations: [2, 2],
      },
    ),
    {
      ...convGrad('3-D stride 2, groups 2, opset 13', [1, 4, 5, 6, 5], [4, 2, 3, 3, 3], true, {
        pads: [1, 1, 1, 1, 1, 1],
        strides: [2, 2, 2],
        group: 2,
      }),
      opset: 13,
    },
  ],
  MaxPool: [
    {
      label: '3-D k2 on 5×6×7 (dropped tail)',
      ...f32,
      inputs: [distinctWindows([1, 2, 5, 6, 7], [2, 2, 2], 11)],
      build: ([x]) => maxPool(x, { kernel: [2, 2, 2] }),
    },
    {
      label: '2-D k [2,3] batch 2',
      ...f32,
      inputs: [distinctWindows([2, 3, 4, 9], [2, 3], 12)],
      build: ([x]) => maxPool(x, { kernel: [2, 3] }),
    },
    {
      label: '1-D k3',
      ...f32,
      inputs: [distinctWindows([1, 2, 9], [3], 13)],
      build: ([x]) => maxPool(x, { kernel: [3] }),
    },
    {
      label: '3-D k [1,2,2], opset 13',
      ...f32,
      opset: 13,
      inputs: [distinctWindows([1, 3, 3, 4, 5], [1, 2, 2], 14)],
      build: ([x]) => maxPool(x, { kernel: [1, 2, 2] }),
    },
    {
      label: '2-D k3 s2 p1 (ResNet stem, overlapping + padding)',
      ...f32,
      inputs: [distinctAll([2, 2, 7, 6], 15)],
      build: ([x]) => maxPool(x, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    },
    {
      label: '1-D k3 s1 dilation 2 pads 2',
      ...f32,
      inputs: [distinctAll([1, 2, 9], 16)],
      build: ([x]) => maxPool(x, { kernel: [3], strides: [1], pads: [2, 2], dilations: [2] }),
    },
    {
      label: '3-D k3 s2 p1',
      ...f32,
      inputs: [distinctAll([1, 2, 5, 4, 5], 17)],
      build: ([x]) => maxPool(x, { kernel: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] }),
    },
    {
      label: '2-D k2 s2 with an end pad (ceil mode), all-negative input',
      ...f32,
      inputs: [distinctAll([1, 1, 5, 5], 18)],
      build: ([x]) => maxPool(add(x, -20), { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] }),
    },
    {
      label: '1-D k4 s3 p2 (overlap, phases of 1 and 2 taps), odd length',
      ...f32,
      inputs: [distinctAll([2, 2, 13], 19)],
      build: ([x]) => maxPool(x, { kernel: [4], strides: [3], pads: [2, 2] }),
    },
    {
      label: '2-D k3 s[3,2] p[1,0,1,1] batch 2, odd sizes',
      ...f32,
      inputs: [distinctAll([2, 3, 9, 7], 20)],
      build: ([x]) => maxPool(x, { kernel: [3, 3], strides: [3, 2], pads: [1, 0, 1, 1] }),
    },
    {
      label: '3-D k [3,2,3] s [2,3,2] dilation [1,2,1]',
      ...f32,
      inputs: [distinctAll([1, 2, 7, 8, 5], 21)],
      build: ([x]) =>
        maxPool(x, { kernel: [3, 2, 3], strides: [2, 3, 2], pads: [1, 1, 1, 1, 1, 1], dilations: [1, 2, 1] }),
    },
  ],
  AveragePool: [
    {
      label: '3-D k2 on 5×6×7 (non-overlapping)',
      ...f32,
      inputs: [{ shape: [1, 2, 5, 6, 7] }],
      build: ([x]) => avgPool(x, { kernel: [2, 2, 2] }),
    },
    {
      label: '2-D k3 s2 pads 1, include pad (conv route)',
      ...f32,
      inputs: [{ shape: [1, 2, 7, 6] }],
      build: ([x]) => avgPool(x, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    },
    {
      label: '2-D k3 s1 pads [1,0,0,1], exclude pad',
      ...f32,
      inputs: [{ shape: [2, 1, 5, 6] }],
      build: ([x]) => avgPool(x, { kernel: [3, 3], strides: [1, 1], pads: [1, 0, 0, 1], countIncludePad: false }),
    },
    {
      label: '3-D k [1,2,2] s [1,2,2] pads 0',
      ...f32,
      inputs: [{ shape: [1, 3, 3, 4, 5] }],
      build: ([x]) => avgPool(x, { kernel: [1, 2, 2] }),
    },
  ],
  Resize: [
    resizeGrad('trilinear ×2 align_corners (the U-Net)', [1, 2, 3, 4, 5], [1, 2, 6, 8, 10], 'linear', 'align_corners'),
    resizeGrad('trilinear ×2 half_pixel', [1, 2, 3, 4, 5], [1, 2, 6, 8, 10], 'linear', 'half_pixel'),
    resizeGrad('trilinear down 5×6×7 → 3×4×5', [1, 1, 5, 6, 7], [1, 1, 3, 4, 5], 'linear', 'half_pixel'),
    resizeGrad('bilinear asymmetric', [1, 2, 3, 4], [1, 2, 6, 7], 'linear', 'asymmetric'),
    resizeGrad('nearest ×2 floor', [1, 2, 3, 4, 5], [1, 2, 6, 8, 10], 'nearest', 'asymmetric'),
    {
      ...resizeGrad(
        'trilinear ×2 align_corners, opset 13',
        [1, 2, 3, 4, 5],
        [1, 2, 6, 8, 10],
        'linear',
        'align_corners',
      ),
      opset: 13,
    },
  ],
  // float64; the affine map after x̂ (as GroupNorm's scale) makes the cotangent of x̂ non-constant per group.
  Standardize: [
    {
      label: 'x̂ of [2, 3, 2, 4, 5] (GroupNorm layout)',
      inputs: [{ shape: [2, 3, 2, 4, 5] }],
      build: ([x]) => standardize(x)[0],
    },
    {
      label: 'x̂ and std, eps 0.1, rank 3',
      inputs: [{ shape: [2, 2, 7] }],
      build: ([x]) => {
        const [xn, s] = standardize(x, { eps: 0.1 });
        return add(mul(xn, xn), mul(s, 3));
      },
    },
    { label: 'std alone, opset 13', opset: 13, inputs: [{ shape: [1, 2, 3, 4] }], build: ([x]) => standardize(x)[1] },
  ],
  // float64; per channel over batch and space (BatchNorm in training mode).
  BatchStandardize: [
    { label: 'x̂ of [3, 2, 4, 5]', inputs: [{ shape: [3, 2, 4, 5] }], build: ([x]) => batchStandardize(x)[0] },
    {
      label: 'x̂ + mean + 3·var of [2, 3, 3, 2, 3], eps 0.1, opset 13',
      opset: 13,
      inputs: [{ shape: [2, 3, 3, 2, 3] }],
      build: ([x]) => {
        const [xn, m, v] = batchStandardize(x, { eps: 0.1 });
        return add(add(xn, m), mul(v, 3));
      },
    },
    {
      label: 'mean alone, [5, 3] (no spatial axis)',
      inputs: [{ shape: [5, 3] }],
      build: ([x]) => batchStandardize(x)[1],
    },
    { label: 'var alone, [4, 2, 7]', inputs: [{ shape: [4, 2, 7] }], build: ([x]) => batchStandardize(x)[2] },
  ],
  HashUniform: [
    // No gradient of its own: the random numbers are constants of x; d(x·u)/dx = u.
    {
      label: 'x · u(x, seed) (mask-like use), float64',
      inputs: [{ shape: [2, 3, 5] }, { shape: [], dtype: 'int32', values: [3] }],
      build: ([x, s]) => mul(x, hashUniform(x, s, { salt: 5 })),
    },
  ],
};

/** A gradient as a forward case: the VJP of `f` at fixed x for a fixed cotangent `dy`, against hand numbers. */
function handGrad(
  label: string,
  x: { shape: number[]; values: number[] },
  dy: { shape: number[]; values: number[] },
  f: (t: Tensor) => Tensor,
  want: ND | ((x: ND, dy: ND) => ND),
): PrimCase {
  return {
    label,
    inputs: [x, dy],
    tol: 1e-6,
    build: ([a, d]) => grad(f(a), [a], { seed: d })[0],
    ref: ([a, d]) => (typeof want === 'function' ? want(a, d) : want),
  };
}

const arange = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

export const NN_HAND_GRAD_CASES: PrimCase[] = [
  // Window 0 all equal → its first element; window 1 max 5 tied at (0,1) and (1,0) → (0,1), scan order;
  // window 2 zero background with a single 0 max tie everywhere → first; window 3 a unique maximum.
  handGrad(
    'max-pool 2-D ties go to the first maximum',
    { shape: [1, 1, 4, 4], values: [3, 3, 1, 5, 3, 3, 5, 2, 0, 0, -1, -2, 0, 0, 4, -3] },
    { shape: [1, 1, 2, 2], values: [10, 20, 30, 40] },
    (x) => maxPool(x, { kernel: [2, 2] }),
    ND.from([1, 1, 4, 4], [10, 0, 0, 20, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 40, 0]),
  ),
  handGrad(
    'max-pool 3-D zero background: all-zero window and a (0,1,1)/(1,0,0) tie',
    { shape: [1, 2, 2, 2, 2], values: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 0, 0, 0] },
    { shape: [1, 2, 1, 1, 1], values: [1.5, -2] },
    (x) => maxPool(x, { kernel: [2, 2, 2] }),
    ND.from([1, 2, 2, 2, 2], [1.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2, 0, 0, 0, 0]),
  ),
  handGrad(
    'max-pool 3-D random ties on 4×4×6 (reference: first max in d, h, w order)',
    { shape: [1, 2, 4, 4, 6], values: Array.from({ length: 192 }, (_, i) => ((i * 7919) % 5) - 2) },
    { shape: [1, 2, 2, 2, 3], values: arange(24) },
    (x) => maxPool(x, { kernel: [2, 2, 2] }),
    (x, dy) => refMaxPoolGrad(x, dy, [2, 2, 2]),
  ),
  // M(3→5, align_corners) = [[1,0,0],[.5,.5,0],[0,1,0],[0,.5,.5],[0,0,1]]; dx = Mᵀ·dy.
  handGrad(
    'resize 1-D 3 → 5 align_corners',
    { shape: [1, 3], values: [0, 0, 0] },
    { shape: [1, 5], values: [1, 2, 3, 4, 5] },
    (x) => resize(x, { sizes: [1, 5], mode: 'linear', coordinateTransformationMode: 'align_corners' }),
    ND.from([1, 3], [2, 6, 7]),
  ),
  // M(2→3) = [[1,0],[.5,.5],[0,1]]; dx = Mᵀ·dy·M with dy = [[1,2,3],[4,5,6],[7,8,9]].
  handGrad(
    'resize 2-D 2×2 → 3×3 align_corners',
    { shape: [1, 1, 2, 2], values: [0, 0, 0, 0] },
    { shape: [1, 1, 3, 3], values: arange(9) },
    (x) => resize(x, { sizes: [1, 1, 3, 3], mode: 'linear', coordinateTransformationMode: 'align_corners' }),
    ND.from([1, 1, 2, 2], [5.25, 8.25, 14.25, 17.25]),
  ),
];
