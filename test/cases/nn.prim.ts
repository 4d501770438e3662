/** Forward table of the NN primitives: one-node graphs in ORT against the plain-TS references. */
import type { NnPrim } from '../../sdk/ops/names';
import {
  avgPool,
  batchStandardize,
  conv,
  gemm,
  hashUniform,
  matmul,
  maxPool,
  resize,
  standardize,
} from '../../sdk/ops';
import { resizeByMatMul } from '../../sdk/ops/resize-grad';
import type { PrimCase } from '../helpers/primcheck';
import { refConv, refMatMul, refPool, refResizeLinear, refResizeNearest, refTranspose2 } from '../ref/nn';
import { refHashUniform } from '../ref/hash';
import { ND, zipWith } from '../ref/nd';

const f64 = (shape: number[]) => ({ shape, dtype: 'float64' as const });

function refGemm([a, b, c]: ND[], o: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean }): ND {
  const ab = refMatMul(o.transA ? refTranspose2(a) : a, o.transB ? refTranspose2(b) : b);
  const s = ab.map((v) => v * (o.alpha ?? 1));
  return c ? zipWith([s, c], (p, q) => p + (o.beta ?? 1) * q) : s;
}

function gemmCase(
  label: string,
  a: number[],
  b: number[],
  c: number[] | null,
  o: Parameters<typeof refGemm>[1],
): PrimCase {
  return {
    label,
    inputs: [f64(a), f64(b), ...(c ? [f64(c)] : [])],
    build: ([x, y, z]) => gemm(x, y, z ?? null, o),
    ref: (xs) => refGemm(xs, o),
  };
}

type ConvOpts = { pads?: number[]; strides?: number[]; dilations?: number[]; group?: number };
function convCase(label: string, x: number[], w: number[], bias: boolean, o: ConvOpts): PrimCase {
  return {
    label,
    inputs: [{ shape: x }, { shape: w }, ...(bias ? [{ shape: [w[0]] }] : [])],
    build: ([a, b, c]) => conv(a, b, c ?? null, o),
    ref: ([a, b, c]) => refConv(a, b, c ?? null, o),
    tol: 1e-4,
  };
}

type PoolOpts = { kernel: number[]; strides?: number[]; pads?: number[]; countIncludePad?: boolean };
function poolCase(kind: 'max' | 'avg', label: string, x: number[], o: PoolOpts): PrimCase {
  return {
    label,
    inputs: [{ shape: x }],
    build: ([a]) => (kind === 'max' ? maxPool(a, o) : avgPool(a, o)),
    ref: ([a]) => refPool(kind, a, o),
  };
}

type Coord = 'align_corners' | 'half_pixel' | 'asymmetric';
function linearCase(label: string, x: number[], sizes: number[], mode: Coord, byMatMul = false): PrimCase {
  const lead = x.length - sizes.length;
  const full = [...x.slice(0, lead), ...sizes];
  const attrs = { mode: 'linear' as const, coordinateTransformationMode: mode, nearestMode: 'floor' as const };
  return {
    label,
    inputs: [{ shape: x }],
    build: ([a]) =>
      byMatMul
        ? resizeByMatMul(a, full, attrs)
        : resize(a, { sizes: full, mode: 'linear', coordinateTransformationMode: mode }),
    ref: ([a]) => refResizeLinear(a, sizes, mode),
  };
}

/** Per channel (axis 1) over batch and space, in float64: [(x − mean) / √(var + eps), mean, biased var]. */
function refBatchStandardize(x: ND, eps: number): ND[] {
  const [n, c] = x.shape;
  const inner = x.data.length / (n * c);
  const at = (b: number, ch: number, i: number) => (b * c + ch) * inner + i;
  const xn = new ND([...x.shape]);
  const mean = new ND(x.shape.map((v, i) => (i === 1 ? v : 1)));
  const variance = new ND([...mean.shape]);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) s += x.data[at(b, ch, i)];
    const m = s / (n * inner);
    let q = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) q += (x.data[at(b, ch, i)] - m) ** 2;
    const v = q / (n * inner);
    mean.data[ch] = m;
    variance.data[ch] = v;
    for (let b = 0; b < n; b++)
      for (let i = 0; i < inner; i++) xn.data[at(b, ch, i)] = (x.data[at(b, ch, i)] - m) / Math.sqrt(v + eps);
  }
  return [xn, mean, variance];
}

/** (x − mean) / √(var + eps) and √(var + eps) over every axis after the first two, in float64. */
function refStandardize(x: ND, eps: number): ND[] {
  const [a, b] = x.shape;
  const m = x.data.length / (a * b);
  const xn = new Float64Array(x.data.length);
  const std = new Float64Array(a * b);
  for (let k = 0; k < a * b; k++) {
    const v = x.data.subarray(k * m, (k + 1) * m);
    const mean = v.reduce((s, t) => s + t, 0) / m;
    std[k] = Math.sqrt(v.reduce((s, t) => s + (t - mean) ** 2, 0) / m + eps);
    v.forEach((t, i) => (xn[k * m + i] = (t - mean) / std[k]));
  }
  return [
    new ND([...x.shape], xn),
    new ND(
      x.shape.map((s, i) => (i < 2 ? s : 1)),
      std,
    ),
  ];
}

export const NN_PRIM_CASES: { [K in NnPrim]: PrimCase[] } = {
  MatMul: [
    {
      label: '2-D',
      inputs: [f64([3, 4]), f64([4, 5])],
      build: ([a, b]) => matmul(a, b),
      ref: ([a, b]) => refMatMul(a, b),
    },
    {
      label: 'batch broadcast',
      inputs: [f64([2, 1, 3, 4]), f64([3, 4, 2])],
      build: ([a, b]) => matmul(a, b),
      ref: ([a, b]) => refMatMul(a, b),
    },
    {
      label: 'float32 batch × matrix',
      inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
      build: ([a, b]) => matmul(a, b),
      ref: ([a, b]) => refMatMul(a, b),
    },
  ],
  Gemm: [
    gemmCase('plain, no C', [3, 4], [4, 5], null, {}),
    gemmCase('transA, C [N]', [4, 3], [4, 5], [5], { transA: true }),
    gemmCase('transB, C [M,1], alpha/beta', [3, 4], [5, 4], [3, 1], { transB: true, alpha: 0.5, beta: -2 }),
    gemmCase('transA transB, C [M,N]', [4, 3], [5, 4], [3, 5], { transA: true, transB: true, beta: 0.25 }),
    gemmCase('scalar C', [2, 3], [3, 2], [], { alpha: 2 }),
  ],
  Conv: [
    convCase('1-D pads, bias', [1, 3, 9], [4, 3, 3], true, { pads: [1, 1] }),
    convCase('2-D asymmetric pads, stride 2', [1, 2, 7, 8], [3, 2, 3, 3], false, {
      pads: [1, 0, 2, 1],
      strides: [2, 2],
    }),
    convCase('2-D dilation 2', [1, 2, 9, 8], [3, 2, 3, 3], true, { pads: [2, 2, 2, 2], dilations: [2, 2] }),
    convCase('2-D groups 2, batch 2', [2, 4, 6, 7], [6, 2, 3, 3], true, { pads: [1, 1, 1, 1], group: 2 }),
    convCase('3-D 5×6×7, pads 1, bias', [1, 2, 5, 6, 7], [3, 2, 3, 3, 3], true, { pads: [1, 1, 1, 1, 1, 1] }),
    convCase('3-D batch 2, stride [1,2,2], no pads', [2, 3, 5, 6, 7], [2, 3, 2, 3, 3], false, { strides: [1, 2, 2] }),
  ],
  MaxPool: [
    poolCase('max', '3-D k2 on 5×6×7 (floor)', [1, 2, 5, 6, 7], { kernel: [2, 2, 2] }),
    poolCase('max', '2-D k3 s1 pads 1 (overlapping)', [2, 2, 6, 7], {
      kernel: [3, 3],
      strides: [1, 1],
      pads: [1, 1, 1, 1],
    }),
    poolCase('max', '1-D k2 s3', [1, 3, 10], { kernel: [2], strides: [3] }),
  ],
  AveragePool: [
    poolCase('avg', '3-D k2 on 5×6×7 (floor)', [1, 2, 5, 6, 7], { kernel: [2, 2, 2] }),
    poolCase('avg', '2-D k3 s2 pads 1, count_include_pad', [1, 2, 7, 6], {
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      countIncludePad: true,
    }),
    poolCase('avg', '2-D k3 s1 pads [1,0,0,1], exclude pad', [2, 1, 5, 6], {
      kernel: [3, 3],
      strides: [1, 1],
      pads: [1, 0, 0, 1],
      countIncludePad: false,
    }),
  ],
  Resize: [
    linearCase('trilinear ×2 align_corners (the U-Net)', [1, 2, 5, 6, 7], [10, 12, 14], 'align_corners'),
    linearCase('trilinear ×2 half_pixel', [1, 2, 5, 6, 7], [10, 12, 14], 'half_pixel'),
    linearCase('trilinear down 5×6×7 → 3×4×5 half_pixel', [1, 1, 5, 6, 7], [3, 4, 5], 'half_pixel'),
    linearCase('bilinear 4-D ×2 asymmetric', [1, 2, 3, 4], [6, 8], 'asymmetric'),
    linearCase('2-D tensor 3 → 5 align_corners', [2, 3], [2, 5], 'align_corners'),
    linearCase('1-D signal [N, C, W] 5 → 9 half_pixel', [2, 3, 5], [9], 'half_pixel'),
    {
      ...linearCase('trilinear ×2 align_corners, opset 13', [1, 2, 5, 6, 7], [10, 12, 14], 'align_corners'),
      opset: 13,
    },
    linearCase('forward by matrices: align_corners ×2', [1, 2, 5, 6, 7], [10, 12, 14], 'align_corners', true),
    linearCase('forward by matrices: half_pixel down', [1, 1, 5, 6, 7], [3, 4, 5], 'half_pixel', true),
    {
      label: 'nearest ×2 asymmetric floor (torch nearest)',
      inputs: [{ shape: [1, 2, 3, 4, 5] }],
      build: ([a]) =>
        resize(a, {
          scales: [1, 1, 2, 2, 2],
          mode: 'nearest',
          coordinateTransformationMode: 'asymmetric',
          nearestMode: 'floor',
        }),
      ref: ([a]) => refResizeNearest(a, [1, 2, 6, 8, 10], 'asymmetric', 'floor'),
    },
    {
      label: 'nearest 5×6 → 7×4 half_pixel round_prefer_floor',
      inputs: [{ shape: [1, 1, 5, 6] }],
      build: ([a]) => resize(a, { sizes: [1, 1, 7, 4], mode: 'nearest' }),
      ref: ([a]) => refResizeNearest(a, [1, 1, 7, 4], 'half_pixel', 'round_prefer_floor'),
    },
  ],
  Standardize: [
    {
      label: 'GroupNorm layout [2, 4, 2, 3, 5], float32',
      inputs: [{ shape: [2, 4, 2, 3, 5], range: [-3, 5] }],
      build: ([a]) => standardize(a),
      ref: ([a]) => refStandardize(a, 1e-5),
      tol: 1e-5,
    },
    {
      label: 'rank 3, eps 0.5, float64, opset 13',
      opset: 13,
      inputs: [{ shape: [3, 2, 6], dtype: 'float64' }],
      build: ([a]) => standardize(a, { eps: 0.5 }),
      ref: ([a]) => refStandardize(a, 0.5),
      tol: 1e-12,
    },
  ],
  BatchStandardize: [
    {
      label: '[4, 3, 5, 6], float32',
      inputs: [{ shape: [4, 3, 5, 6], range: [-3, 5] }],
      build: ([a]) => batchStandardize(a),
      ref: ([a]) => refBatchStandardize(a, 1e-5),
      tol: 1e-5,
    },
    {
      label: 'rank 5, eps 0.5, float64, opset 13',
      opset: 13,
      inputs: [{ shape: [2, 3, 2, 4, 3], dtype: 'float64' }],
      build: ([a]) => batchStandardize(a, { eps: 0.5 }),
      ref: ([a]) => refBatchStandardize(a, 0.5),
      tol: 1e-12,
    },
  ],
  HashUniform: [
    {
      label: 'full mask [2, 3, 4, 5], seed 12345, salt 77: bit-exact',
      inputs: [{ shape: [2, 3, 4, 5] }, { shape: [], dtype: 'int32', values: [12345] }],
      build: ([x, seed]) => hashUniform(x, seed, { salt: 77 }),
      ref: () => new ND([2, 3, 4, 5], refHashUniform(120, 12345, 77)),
      tol: 1e-12,
    },
    {
      label: 'per channel (keepAxes 2) of [3, 4, 6, 6], negative seed, float64, opset 13',
      opset: 13,
      inputs: [
        { shape: [3, 4, 6, 6], dtype: 'float64' },
        { shape: [], dtype: 'int32', values: [-7] },
      ],
      build: ([x, seed]) => hashUniform(x, seed, { salt: 2 ** 31 - 1, keepAxes: 2 }),
      ref: () => new ND([3, 4, 1, 1], refHashUniform(12, -7, 2 ** 31 - 1)),
      tol: 1e-15,
    },
  ],
};
