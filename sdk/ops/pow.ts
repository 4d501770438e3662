import type { Tensor } from '../tensor';
import { equal } from './equal';
import { greater } from './greater';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';
import { log } from './log';
import { mul } from './mul';
import { sub } from './sub';
import { unbroadcast } from './unbroadcast';
import { where } from './where';

/** True when `t` is a constant with no zero element (then `b == 0` needs no mask). */
function nonzeroConst(t: Tensor): boolean {
  return (
    t.source.kind === 'const' && Array.from(t.source.data as ArrayLike<number | bigint>).every((v) => Number(v) !== 0)
  );
}

/**
 * ONNX Pow (opset 13): `a^b` with broadcasting, both operands of one dtype.
 * VJP: da = dy·b·a^(b−1) (0 where b == 0, as torch), db = dy·y·log(a) where a > 0, else 0.
 * Keeps a, b and y.
 */
export const Pow = binaryPrim(
  'Pow',
  ([dy], { inputs: [a, b], outputs: [y] }) => {
    let da = mul(dy!, mul(b!, pow(a!, sub(b!, 1))));
    // NOTE: 0·0^(−1) is 0·inf = NaN; torch masks the b == 0 terms to 0.
    if (!nonzeroConst(b!)) da = where(equal(b!, 0), 0, da);
    // Constants never get gradients: skip building db for the common pow(x, 2).
    if (b!.source.kind === 'const') return [unbroadcast(da, a!.dims), null];
    const pos = greater(a!, 0);
    const db = where(pos, mul(dy!, mul(y, log(where(pos, a!, 1)))), 0);
    return [unbroadcast(da, a!.dims), unbroadcast(db, b!.dims)];
  },
  { dtypes: NUMERIC },
);

/** `a^b` elementwise with numpy broadcasting: `pow(x, 3)`, `pow(g.scalar(0.9), step)`. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Pow, [x, y], {})[0];
}

/** `x·x` (a Mul, not a Pow: cheaper and exact). */
export function square(x: Tensor): Tensor {
  return mul(x, x);
}
