import { check } from '../errors';
import type { LowerCtx, Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { FLOATS } from './kit';

export interface HashUniformAttrs {
  /** Mixed into the hash so that two random ops with one seed draw different numbers (a module path's hash). */
  salt: number;
  /** Axes from this one on are 1 in the output (Dropout2d's per-channel mask: 2); X's rank for a full mask. */
  keepAxes: number;
}

const M31 = 2 ** 31;
const SEED_MUL = 0x2545f491;

/**
 * Uniform [0, 1) numbers from a counter-based integer hash of (seed, salt, flat element index), shaped like X
 * (axes from `keepAxes` on set to 1). X gives only the shape (read in-graph by Shape, so any batch size works);
 * seed is an int32 scalar input (taken mod 2^31). The hash is a 31-bit form of Widynski's "Squares"
 * counter-based generator: key = 2·((seed·A + salt) mod 2^30) + 1, x = y = i·key, z = y + key, then
 * x ← rot16(x² + y), rot16(x² + z), rot16(x² + y), and x² + z; the top 24 of its 31 bits become the float.
 * Every step is exact int64 arithmetic (values < 2^31, so products < 2^62; Mod and Div by powers of two, no
 * bitwise ops, which ONNX lacks before opset 18), so every execution provider computes the same bits. No
 * gradient. Why not ONNX RandomUniform: its seed is a fixed attribute and its stream differs between EPs
 * (docs/nn.md). Reference: test/ref/hash.ts. Up to 2^31 elements per tensor (the index is taken mod 2^31).
 */
export const HashUniform: Primitive<HashUniformAttrs> = {
  name: 'HashUniform',
  inputs: ['X', 'seed'],
  nondiff: [0, 1],
  infer([x, seed], { salt, keepAxes }) {
    check(x && seed, 'missing input');
    check(FLOATS.includes(x.dtype), () => `X must be a float tensor, got ${x.dtype}`);
    check(seed.dtype === 'int32' && seed.rank === 0, () => `seed must be an int32 scalar, got ${seed.type}`);
    check(Number.isInteger(salt) && salt >= 0 && salt < M31, () => `salt must be an integer in [0, 2^31), got ${salt}`);
    check(
      Number.isInteger(keepAxes) && keepAxes >= 0 && keepAxes <= x.rank,
      () => `keepAxes ${keepAxes} out of range for rank ${x.rank}`,
    );
    return [{ dtype: x.dtype, shape: x.dims.map((d, i) => (i < keepAxes ? d : 1)) }];
  },
  lower(ctx: LowerCtx, node) {
    const [x, seed] = node.inputs;
    const { salt, keepAxes } = node.attrs;
    const op = (type: string, inputs: string[], label: string, attrs?: Parameters<LowerCtx['emit']>[3]): string => {
      const out = ctx.fresh(label);
      ctx.emit(type, inputs, [out], attrs);
      return out;
    };
    const k = (v: number) => ctx.i64([v], true);
    let shape = op('Shape', [ctx.name(x)], 'shape');
    if (keepAxes < x!.rank) {
      const head = op('Slice', [shape, ctx.i64([0]), ctx.i64([keepAxes])], 'shape_head');
      shape = op('Concat', [head, ctx.i64(new Array(x!.rank - keepAxes).fill(1))], 'mask_shape', { axis: { int: 0 } });
    }
    const n = op('ReduceProd', [shape], 'count', { keepdims: { int: 0 } });
    const idx = op('Range', [k(0), n, k(1)], 'index');
    const mod = (a: string, m = M31) => op('Mod', [a, k(m)], 'mod', { fmod: { int: 0 } });
    const mulAdd = (a: string, b: string, c: string) => mod(op('Add', [op('Mul', [a, b], 'mul'), c], 'add'));
    const s = mod(op('Cast', [ctx.name(seed)], 'seed64', { to: { int: 7 } }));
    const k30 = mod(op('Add', [op('Mul', [s, k(SEED_MUL)], 'seed_mul'), k(salt)], 'seed_salt'), 2 ** 30);
    const key = op('Add', [op('Mul', [k30, k(2)], 'key2'), k(1)], 'key');
    // rot16 of a 31-bit word: (x mod 2^15)·2^16 + ⌊x / 2^15⌋.
    const rot = (a: string) =>
      op('Add', [op('Mul', [mod(a, 2 ** 15), k(2 ** 16)], 'rot_hi'), op('Div', [a, k(2 ** 15)], 'rot_lo')], 'rot');
    const y = mod(op('Mul', [mod(idx), key], 'index_key'));
    const z = mod(op('Add', [y, key], 'z'));
    let h = y;
    for (const w of [y, z, y]) h = rot(mulAdd(h, h, w));
    h = mulAdd(h, h, z);
    const top = op('Cast', [op('Div', [h, k(128)], 'top24')], 'top24f', {
      to: { int: x!.dtype === 'float64' ? 11 : x!.dtype === 'float16' ? 10 : 1 },
    });
    const scale = ctx.constant(
      x!.dtype === 'float64' ? 'float64' : 'float32',
      [],
      x!.dtype === 'float64' ? new Float64Array([2 ** -24]) : new Float32Array([2 ** -24]),
    );
    const u = op(
      'Mul',
      [x!.dtype === 'float16' ? op('Cast', [top], 'top24_32', { to: { int: 1 } }) : top, scale],
      'uniform',
    );
    const flat = x!.dtype === 'float16' ? op('Cast', [u], 'uniform16', { to: { int: 10 } }) : u;
    ctx.emit('Reshape', [flat, shape], [ctx.name(node.outputs[0])]);
  },
  vjp: () => [null, null],
};

/**
 * `hashUniform(x, seed, { salt, keepAxes })`: uniform [0, 1) numbers of x's shape (axes ≥ keepAxes set to 1),
 * a pure function of the int32 `seed`, the salt and the element index: the same on every EP.
 */
export function hashUniform(
  x: Tensor,
  seed: Tensor,
  { salt = 0, keepAxes = x.rank }: { salt?: number; keepAxes?: number } = {},
): Tensor {
  return x.graph.apply(HashUniform, [x, seed], { salt, keepAxes })[0];
}
