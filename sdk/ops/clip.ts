import { type DType, fromNumbers, isInt } from '../dtype';
import { check } from '../errors';
import type { LowerCtx, Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { greater } from './greater';
import { less } from './less';
import { where } from './where';

export interface ClipAttrs {
  /** Lower bound (none when undefined). */
  min?: number;
  /** Upper bound (none when undefined). */
  max?: number;
}

const CLIP_DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64'];

function bound(ctx: LowerCtx, dtype: DType, v: number | undefined): string {
  return v === undefined ? '' : ctx.constant(dtype, [], fromNumbers(dtype, [v]));
}

/**
 * ONNX Clip (opset 13): min/max are lowered to scalar constant inputs of x's dtype.
 * VJP: dy where min ≤ x ≤ max (inclusive, as torch.clamp), else 0; keeps x.
 */
export const Clip: Primitive<ClipAttrs> = {
  name: 'Clip',
  inputs: ['input'],
  infer([x], { min, max }) {
    check(x, 'missing input');
    check(CLIP_DTYPES.includes(x.dtype), () => `dtype ${x.dtype} not supported (expects ${CLIP_DTYPES.join('|')})`);
    for (const v of [min, max]) {
      if (v === undefined) continue;
      check(!Number.isNaN(v), 'bounds must not be NaN');
      check(!isInt(x.dtype) || Number.isInteger(v), () => `bound ${v} is not an integer but x is ${x.dtype}`);
    }
    check(min === undefined || max === undefined || min <= max, () => `min ${min} is greater than max ${max}`);
    return [{ dtype: x.dtype, shape: [...x.dims] }];
  },
  lower(ctx, node) {
    const x = node.inputs[0]!;
    const { min, max } = node.attrs;
    const ins = [ctx.name(x), bound(ctx, x.dtype, min), bound(ctx, x.dtype, max)];
    while (ins[ins.length - 1] === '') ins.pop();
    ctx.emit('Clip', ins, [ctx.name(node.outputs[0])]);
  },
  vjp([dy], { inputs: [x], attrs: { min, max } }) {
    let dx = dy!;
    if (min !== undefined) dx = where(less(x!, min), 0, dx);
    if (max !== undefined) dx = where(greater(x!, max), 0, dx);
    return [dx];
  },
};

/** Clamps `x` to [min, max] (either bound optional): `clip(x, { min: -1, max: 1 })`. */
export function clip(x: Tensor, { min, max }: ClipAttrs): Tensor {
  return x.graph.apply(Clip, [x], { min, max })[0];
}
