import type { ElementwisePrim } from '../../sdk/ops/names';
import {
  abs,
  add,
  cast,
  clip,
  cos,
  div,
  equal,
  erf,
  exp,
  floor,
  greater,
  identity,
  leakyRelu,
  less,
  log,
  logicalAnd,
  logicalNot,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tan,
  tanh,
  where,
} from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';
import type { GradCase } from '../helpers/gradcheck';

/**
 * `n` deterministic values spread over [lo, hi] (a golden-ratio sequence), none within `gap` of a kink, so
 * that the central difference (step 1e-5) never straddles one.
 */
export function awayFrom(n: number, kinks: number[], { lo = -1, hi = 1, gap = 0.05 } = {}): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < n; i++) {
    const v = lo + (hi - lo) * ((0.5 + i * 0.6180339887) % 1);
    if (kinks.every((k) => Math.abs(v - k) >= gap)) out.push(v);
  }
  return out;
}

/** `b` plus a non-zero offset per element, broadcast from `b`'s trailing shape to `n` values: never ties. */
function notTied(b: number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => b[i % b.length] + (i % 2 ? 1 : -1) * (0.1 + 0.07 * (i % 5)));
}

const unary = (
  build: (x: Tensor) => Tensor,
  extra: Partial<GradCase> & { range?: [number, number]; values?: number[] } = {},
): GradCase => {
  const { range, values, ...rest } = extra;
  return {
    inputs: [{ shape: values ? [values.length] : [2, 3, 4], range, values }],
    build: ([x]) => build(x),
    ...rest,
  };
};

const binary = (
  build: (a: Tensor, b: Tensor) => Tensor,
  sa: number[],
  sb: number[],
  ranges: [[number, number]?, [number, number]?] = [],
): GradCase => ({
  label: `[${sa}]·[${sb}]`,
  inputs: [
    { shape: sa, range: ranges[0] },
    { shape: sb, range: ranges[1] },
  ],
  build: ([a, b]) => build(a, b),
});

const B3 = [-0.6, 0.15, 0.7];
const AWAY0 = awayFrom(12, [0]);
/** Values away from the integers, for floor and float→int casts. */
const NON_INT = awayFrom(12, [-1, 0, 1], { lo: -1.9, hi: 1.9 });

/**
 * Gradient checks (random direction, central differences, float64 unless noted), one row at least per
 * elementwise primitive. Ops with bool/int outputs or zero derivative are checked inside a composite whose
 * gradient flows around them.
 */
export const ELEMENTWISE_GRAD_CASES: { [K in ElementwisePrim]: GradCase[] } = {
  Add: [binary(add, [2, 3], [3]), binary(add, [2, 1, 4], [3, 1])],
  Sub: [binary(sub, [4, 1], [3]), binary(sub, [2, 3], [2, 3])],
  Mul: [binary(mul, [2, 3, 4], [4]), binary(mul, [1, 3], [2, 1])],
  Div: [binary(div, [2, 3], [3], [undefined, [0.5, 2]]), binary(div, [3], [2, 1], [undefined, [-2, -0.5]])],
  Neg: [unary(neg)],
  Pow: [
    binary(
      pow,
      [2, 3],
      [3],
      [
        [0.5, 2],
        [-1.5, 1.5],
      ],
    ),
    { label: 'constant exponent, negative base', ...unary((x) => pow(x, 3)) },
    { label: 'constant base', ...unary((x) => pow(x.graph.scalar(1.5, 'float64'), x)) },
  ],
  Sqrt: [unary(sqrt, { range: [0.5, 2] })],
  Exp: [unary(exp, { range: [-2, 2] })],
  Log: [unary(log, { range: [0.5, 3] })],
  Abs: [unary(abs, { values: AWAY0 })],
  Sign: [{ label: 'sign(x)·exp(x)', ...unary((x) => mul(sign(x), exp(x)), { values: AWAY0 }) }],
  Sin: [unary(sin, { range: [-3, 3] })],
  Cos: [unary(cos, { range: [-3, 3] })],
  // ORT's CPU EP has no float64 Tan, so this runs in float32 with eps 1e-2 (the harness default). For
  // |x| ≤ 1 the central difference's truncation error eps²·tan'''/6 is at most 3e-4 of tan' = 1 + tan²
  // (at x = ±1), float32 rounding adds ~2^-24·|tan|/eps ≈ 1e-5; measured: 4e-5. Tolerance 1e-3.
  Tan: [{ ...unary(tan, { range: [-1, 1] }), dtype: 'float32', tol: 1e-3 }],
  Tanh: [unary(tanh, { range: [-2, 2] })],
  Floor: [{ label: 'floor(x)·x', ...unary((x) => mul(floor(x), x), { values: NON_INT }) }],
  Clip: [
    { label: 'both bounds', ...unary((x) => clip(x, { min: -0.5, max: 0.5 }), { values: awayFrom(12, [-0.5, 0.5]) }) },
    { label: 'min only', ...unary((x) => clip(x, { min: 0.2 }), { values: awayFrom(12, [0.2]) }) },
    { label: 'max only', ...unary((x) => clip(x, { max: -0.1 }), { values: awayFrom(12, [-0.1]) }) },
  ],
  Max: [
    {
      label: 'broadcast',
      inputs: [
        { shape: [4, 3], values: notTied(B3, 12) },
        { shape: [3], values: B3 },
      ],
      build: ([a, b]) => maximum(a, b),
    },
    {
      label: 'same shape',
      inputs: [
        { shape: [6], values: AWAY0.slice(0, 6) },
        { shape: [6], values: notTied(AWAY0.slice(0, 6), 6) },
      ],
      build: ([a, b]) => maximum(a, b),
    },
  ],
  Min: [
    {
      label: 'broadcast',
      inputs: [
        { shape: [3], values: B3 },
        { shape: [4, 3], values: notTied(B3, 12) },
      ],
      build: ([a, b]) => minimum(a, b),
    },
    {
      label: 'same shape',
      inputs: [
        { shape: [6], values: AWAY0.slice(0, 6) },
        { shape: [6], values: notTied(AWAY0.slice(0, 6), 6) },
      ],
      build: ([a, b]) => minimum(a, b),
    },
  ],
  Where: [
    {
      label: 'broadcast',
      inputs: [{ shape: [2, 1], dtype: 'bool', values: [1, 0] }, { shape: [2, 3] }, { shape: [3] }],
      build: ([c, a, b]) => where(c, a, b),
    },
  ],
  Equal: [
    {
      label: 'cast(equal(k, 1))·x',
      inputs: [{ shape: [6], dtype: 'int64', values: [0, 1, 2, 1, 1, 0] }, { shape: [6] }],
      build: ([k, x]) => mul(cast(equal(k, 1), 'float64'), x),
    },
    {
      label: 'where(equal(k, 1), x, x²)',
      inputs: [{ shape: [6], dtype: 'int64', values: [0, 1, 2, 1, 1, 0] }, { shape: [6] }],
      build: ([k, x]) => where(equal(k, 1), x, square(x)),
    },
  ],
  Less: [
    {
      label: 'cast(x < 0.3)·x',
      ...unary((x) => mul(cast(less(x, 0.3), 'float64'), x), { values: awayFrom(12, [0.3]) }),
    },
  ],
  Greater: [
    {
      label: 'where(a > b, a, b)',
      inputs: [
        { shape: [4, 3], values: notTied(B3, 12) },
        { shape: [3], values: B3 },
      ],
      build: ([a, b]) => where(greater(a, b), a, b),
    },
  ],
  Not: [
    {
      label: 'where(!(x < 0), x, 3x)',
      ...unary((x) => where(logicalNot(less(x, 0)), x, mul(x, 3)), { values: AWAY0 }),
    },
  ],
  And: [
    {
      label: 'where(−0.5 < x < 0.5, x², x)',
      ...unary((x) => where(logicalAnd(greater(x, -0.5), less(x, 0.5)), square(x), x), {
        values: awayFrom(12, [-0.5, 0.5]),
      }),
    },
  ],
  Cast: [
    // Float32 inputs (a float64 input cast to float32 would lose the 1e-5 finite-difference step).
    {
      label: 'float32→float64→float32',
      ...unary((x) => cast(square(cast(x, 'float64')), 'float32')),
      dtype: 'float32',
    },
    {
      label: 'cast(cast(x, int64), float64)·x',
      ...unary((x) => mul(cast(cast(x, 'int64'), 'float64'), x), { values: NON_INT }),
    },
  ],
  Relu: [unary(relu, { values: AWAY0 })],
  LeakyRelu: [
    { label: 'alpha 0.2', ...unary((x) => leakyRelu(x, { alpha: 0.2 }), { values: AWAY0 }) },
    { label: 'default alpha', ...unary((x) => leakyRelu(x), { values: AWAY0 }) },
  ],
  Sigmoid: [unary(sigmoid, { range: [-3, 3] })],
  Identity: [unary(identity), { label: 'identity(x)·x', ...unary((x) => mul(identity(x), x)) }],
  Erf: [{ label: 'float32 (ORT has no float64 Erf)', ...unary(erf, { range: [-2, 2] }), dtype: 'float32' }],
};
