import type { DType } from '../../sdk/dtype';
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
  sub,
  tan,
  tanh,
  where,
} from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';
import type { PrimCase } from '../helpers/primcheck';
import { zipWith } from '../ref/nd';

type Fn = (...v: number[]) => number;

/** A unary case: `op` on one input of `shape`/`dtype`, against `f` elementwise. */
function unary(
  op: (x: Tensor) => Tensor,
  f: Fn,
  dtype: DType,
  extra: Partial<PrimCase> & { range?: [number, number] } = {},
): PrimCase {
  const { range, ...rest } = extra;
  return {
    label: dtype,
    inputs: [{ shape: [2, 3, 4], dtype, range }],
    build: ([x]) => op(x),
    ref: (xs) => zipWith(xs, f),
    ...rest,
  };
}

/** A binary case on shapes `sa`, `sb` (broadcasting when they differ). */
function binary(
  op: (a: Tensor, b: Tensor) => Tensor,
  f: Fn,
  dtype: DType,
  sa: number[],
  sb: number[],
  ranges: [[number, number]?, [number, number]?] = [],
  extra: Partial<PrimCase> = {},
): PrimCase {
  return {
    label: `${dtype} [${sa}]·[${sb}]`,
    inputs: [
      { shape: sa, dtype, range: ranges[0] },
      { shape: sb, dtype, range: ranges[1] },
    ],
    build: ([a, b]) => op(a, b),
    ref: (xs) => zipWith(xs, f),
    ...extra,
  };
}

const b01 = (v: boolean) => (v ? 1 : 0);
// Random ints in [-9, 9] (inputs are truncated when stored as int64) and random bools (0/1).
const INTS: [number, number] = [-9.99, 9.99];
const POS_INTS: [number, number] = [1, 5.99];
const BOOLS: [number, number] = [0, 1.99];
const sigm = (v: number) => 1 / (1 + Math.exp(-v));

/** erf by its Maclaurin series (|x| <= 3: ~60 terms reach double precision), independent of ORT's kernel. */
function erfRef(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** Forward cases: one ORT node against a plain-TypeScript reference, per elementwise primitive. */
export const ELEMENTWISE_PRIM_CASES: { [K in ElementwisePrim]: PrimCase[] } = {
  Add: [
    binary(add, (a, b) => a + b, 'float32', [2, 3, 4], [2, 3, 4]),
    binary(add, (a, b) => a + b, 'float64', [2, 1, 4], [3, 1]),
    binary(add, (a, b) => a + b, 'int64', [2, 3], [3], [INTS, INTS]),
    {
      label: 'number operand',
      inputs: [{ shape: [5] }],
      build: ([x]) => add(x, 1.5),
      ref: (xs) => zipWith(xs, (a) => a + 1.5),
    },
  ],
  Sub: [
    binary(sub, (a, b) => a - b, 'float32', [4, 1], [3]),
    binary(sub, (a, b) => a - b, 'float64', [2, 3], [2, 3]),
    binary(sub, (a, b) => a - b, 'int64', [3], [2, 3], [INTS, INTS]),
  ],
  Mul: [
    binary(mul, (a, b) => a * b, 'float32', [2, 3, 4], [4]),
    binary(mul, (a, b) => a * b, 'float64', [1, 3], [2, 1]),
    binary(mul, (a, b) => a * b, 'int64', [2, 3], [2, 3], [INTS, INTS]),
  ],
  Div: [
    binary(div, (a, b) => a / b, 'float32', [2, 3], [3], [undefined, [0.5, 2]]),
    binary(div, (a, b) => a / b, 'float64', [2, 1, 3], [4, 1], [undefined, [0.5, 2]]),
    // Integer division truncates towards zero (C semantics), not floor like numpy.
    binary(div, (a, b) => Math.trunc(a / b), 'int64', [2, 4], [4], [INTS, POS_INTS]),
  ],
  Neg: [
    unary(neg, (v) => -v, 'float32'),
    unary(neg, (v) => -v, 'float64'),
    unary(neg, (v) => -v, 'int64', { range: INTS }),
  ],
  Pow: [
    binary(
      pow,
      Math.pow,
      'float32',
      [2, 3],
      [3],
      [
        [0.5, 2],
        [-2, 2],
      ],
    ),
    binary(
      pow,
      Math.pow,
      'float64',
      [2, 3],
      [2, 3],
      [
        [0.5, 2],
        [-2, 2],
      ],
    ),
    binary(
      pow,
      Math.pow,
      'int64',
      [2, 3],
      [1],
      [
        [0, 4.99],
        [0, 3.99],
      ],
    ),
    {
      label: 'integer exponent, negative base',
      inputs: [{ shape: [6], dtype: 'float64' }],
      build: ([x]) => pow(x, 3),
      ref: (xs) => zipWith(xs, (a) => a ** 3),
    },
  ],
  Sqrt: [unary(sqrt, Math.sqrt, 'float32', { range: [0, 4] }), unary(sqrt, Math.sqrt, 'float64', { range: [0, 4] })],
  Exp: [unary(exp, Math.exp, 'float32', { range: [-3, 3] }), unary(exp, Math.exp, 'float64', { range: [-3, 3] })],
  Log: [unary(log, Math.log, 'float32', { range: [0.1, 5] }), unary(log, Math.log, 'float64', { range: [0.1, 5] })],
  Abs: [
    unary(abs, Math.abs, 'float32'),
    unary(abs, Math.abs, 'float64'),
    unary(abs, Math.abs, 'int64', { range: INTS }),
  ],
  Sign: [
    unary(sign, Math.sign, 'float32'),
    {
      label: 'float64 with zeros',
      inputs: [{ shape: [5], dtype: 'float64', values: [-2, -0.5, 0, 0.5, 3] }],
      build: ([x]) => sign(x),
      ref: (xs) => zipWith(xs, Math.sign),
    },
    unary(sign, Math.sign, 'int64', { range: INTS }),
  ],
  Sin: [unary(sin, Math.sin, 'float32', { range: [-4, 4] }), unary(sin, Math.sin, 'float64', { range: [-4, 4] })],
  Cos: [unary(cos, Math.cos, 'float32', { range: [-4, 4] }), unary(cos, Math.cos, 'float64', { range: [-4, 4] })],
  // ORT 1.30's CPU EP has no float64 Tan kernel.
  Tan: [unary(tan, Math.tan, 'float32', { range: [-1.2, 1.2] })],
  Tanh: [unary(tanh, Math.tanh, 'float32', { range: [-3, 3] }), unary(tanh, Math.tanh, 'float64', { range: [-3, 3] })],
  Floor: [
    unary(floor, Math.floor, 'float32', { range: [-3, 3] }),
    {
      label: 'float64 integers',
      inputs: [{ shape: [4], dtype: 'float64', values: [-2, -0.5, 0, 2] }],
      build: ([x]) => floor(x),
      ref: (xs) => zipWith(xs, Math.floor),
    },
  ],
  Clip: [
    unary(
      (x) => clip(x, { min: -0.3, max: 0.4 }),
      (v) => Math.min(Math.max(v, -0.3), 0.4),
      'float32',
    ),
    unary(
      (x) => clip(x, { min: -0.3, max: 0.4 }),
      (v) => Math.min(Math.max(v, -0.3), 0.4),
      'float64',
      { opset: 13 },
    ),
    {
      ...unary(
        (x) => clip(x, { min: 0 }),
        (v) => Math.max(v, 0),
        'float64',
      ),
      label: 'min only',
    },
    {
      ...unary(
        (x) => clip(x, { max: 0.25 }),
        (v) => Math.min(v, 0.25),
        'float64',
      ),
      label: 'max only',
    },
    unary(
      (x) => clip(x, { min: -3, max: 5 }),
      (v) => Math.min(Math.max(v, -3), 5),
      'int64',
      { range: INTS },
    ),
  ],
  Max: [
    binary(maximum, Math.max, 'float32', [2, 3, 4], [3, 1]),
    binary(maximum, Math.max, 'float64', [2, 3], [2, 3]),
    binary(maximum, Math.max, 'int64', [2, 3], [3], [INTS, INTS]),
  ],
  Min: [
    binary(minimum, Math.min, 'float32', [4], [2, 4]),
    binary(minimum, Math.min, 'float64', [2, 3], [2, 3]),
    binary(minimum, Math.min, 'int64', [2, 3], [3], [INTS, INTS]),
  ],
  Where: [
    {
      label: 'float32 broadcast',
      inputs: [{ shape: [2, 1, 4], dtype: 'bool', range: BOOLS }, { shape: [3, 4] }, { shape: [1] }],
      build: ([c, a, b]) => where(c, a, b),
      ref: (xs) => zipWith(xs, (c, a, b) => (c ? a : b)),
    },
    {
      label: 'int64',
      inputs: [
        { shape: [6], dtype: 'bool', range: BOOLS },
        { shape: [6], dtype: 'int64', range: INTS },
        { shape: [6], dtype: 'int64', range: INTS },
      ],
      build: ([c, a, b]) => where(c, a, b),
      ref: (xs) => zipWith(xs, (c, a, b) => (c ? a : b)),
    },
  ],
  Equal: [
    {
      label: 'float64 with equal elements',
      inputs: [
        { shape: [5], dtype: 'float64', values: [1, 2.5, -3, 0, 7] },
        { shape: [5], dtype: 'float64', values: [1, 2, -3, -0, 8] },
      ],
      build: ([a, b]) => equal(a, b),
      ref: (xs) => zipWith(xs, (a, b) => b01(a === b)),
    },
    binary(
      equal,
      (a, b) => b01(a === b),
      'int64',
      [2, 3],
      [3],
      [
        [0, 2.99],
        [0, 2.99],
      ],
    ),
    binary(equal, (a, b) => b01(a === b), 'bool', [4], [4], [BOOLS, BOOLS]),
  ],
  Less: [
    binary(less, (a, b) => b01(a < b), 'float32', [2, 3], [3]),
    binary(less, (a, b) => b01(a < b), 'float64', [2, 3], [2, 3]),
    binary(
      less,
      (a, b) => b01(a < b),
      'int64',
      [2, 3],
      [2, 1],
      [
        [0, 2.99],
        [0, 2.99],
      ],
    ),
  ],
  Greater: [
    binary(greater, (a, b) => b01(a > b), 'float32', [3, 1], [4]),
    binary(greater, (a, b) => b01(a > b), 'float64', [2, 3], [2, 3]),
    binary(
      greater,
      (a, b) => b01(a > b),
      'int64',
      [2, 3],
      [3],
      [
        [0, 2.99],
        [0, 2.99],
      ],
    ),
  ],
  Not: [unary(logicalNot, (v) => b01(!v), 'bool', { range: BOOLS })],
  And: [
    binary(logicalAnd, (a, b) => b01(!!a && !!b), 'bool', [2, 3], [2, 3], [BOOLS, BOOLS]),
    binary(logicalAnd, (a, b) => b01(!!a && !!b), 'bool', [2, 3], [3], [BOOLS, BOOLS]),
  ],
  Cast: [
    {
      ...unary(
        (x) => cast(x, 'float64'),
        (v) => v,
        'float32',
      ),
      label: 'float32→float64',
    },
    { ...unary((x) => cast(x, 'float32'), Math.fround, 'float64'), label: 'float64→float32' },
    // Float to int truncates towards zero.
    { ...unary((x) => cast(x, 'int64'), Math.trunc, 'float32', { range: [-5, 5] }), label: 'float32→int64' },
    {
      ...unary(
        (x) => cast(x, 'float64'),
        (v) => v,
        'int64',
        { range: INTS },
      ),
      label: 'int64→float64',
    },
    {
      label: 'float64→bool',
      inputs: [{ shape: [5], dtype: 'float64', values: [0, -0, 0.5, -2, 1e-300] }],
      build: ([x]) => cast(x, 'bool'),
      ref: (xs) => zipWith(xs, (v) => b01(v !== 0)),
    },
    {
      ...unary(
        (x) => cast(x, 'float32'),
        (v) => v,
        'bool',
        { range: BOOLS },
      ),
      label: 'bool→float32',
    },
    {
      ...unary(
        (x) => cast(x, 'int64'),
        (v) => v,
        'bool',
        { range: BOOLS },
      ),
      label: 'bool→int64',
    },
  ],
  Relu: [unary(relu, (v) => Math.max(v, 0), 'float32'), unary(relu, (v) => Math.max(v, 0), 'float64', { opset: 13 })],
  LeakyRelu: [
    unary(
      (x) => leakyRelu(x, { alpha: 0.2 }),
      (v) => (v > 0 ? v : Math.fround(0.2) * v),
      'float32',
    ),
    {
      ...unary(
        (x) => leakyRelu(x),
        (v) => (v > 0 ? v : Math.fround(0.01) * v),
        'float64',
        { tol: 1e-12 },
      ),
      label: 'float64, default alpha',
    },
  ],
  Sigmoid: [unary(sigmoid, sigm, 'float32', { range: [-6, 6] }), unary(sigmoid, sigm, 'float64', { range: [-6, 6] })],
  Erf: [unary(erf, erfRef, 'float32', { range: [-3, 3] })],
  Identity: [
    unary(identity, (v) => v, 'float32'),
    unary(identity, (v) => v, 'int64', { range: INTS }),
    unary(identity, (v) => v, 'bool', { range: BOOLS }),
  ],
};
