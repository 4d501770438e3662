import { addDims } from '../dim';
import { fromNumbers } from '../dtype';
import { check } from '../errors';
import { toHalfBits } from '../half';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';

export interface PadAttrs {
  /** ONNX order: all begins, then all ends; negative values crop. */
  pads: number[];
  mode: 'constant' | 'reflect' | 'edge';
  value: number;
}

/**
 * ONNX Pad (opset 13). VJP (constant mode): the adjoint of zero-padding is cropping, i.e. Pad with the pads
 * negated. `reflect`/`edge` modes have no gradient rule here.
 */
export const Pad: Primitive<PadAttrs> = {
  name: 'Pad',
  inputs: ['data'],
  infer([x], { pads, mode, value }) {
    check(x, 'missing input');
    check(
      pads.length === 2 * x.rank,
      () => `needs ${2 * x.rank} pads (begins then ends) for rank ${x.rank}, got ${pads.length}`,
    );
    const shape = x.dims.map((s, i) => addDims(s, pads[i] + pads[i + x.rank]));
    check(
      shape.every((s) => typeof s === 'string' || s >= 0),
      () => `pads [${pads}] crop more than the input has`,
    );
    check(
      mode !== 'constant' || x.dtype !== 'bool' || value === 0 || value === 1,
      () => `pad value ${value} is not a bool`,
    );
    if (mode === 'reflect')
      check(
        x.dims.every((s, i) => typeof s === 'string' || (pads[i] < s && pads[i + x.rank] < s)),
        'reflect pads must be smaller than the input',
      );
    return [{ dtype: x.dtype, shape }];
  },
  lower(ctx, node) {
    const x = node.inputs[0]!;
    const { pads, mode, value } = node.attrs;
    const ins = [ctx.name(x), ctx.i64(pads)];
    // A zero fill is ONNX's default: leaving the input out works for every dtype (float16 and bool included).
    if (mode === 'constant' && value !== 0) {
      ins.push(
        ctx.constant(
          x.dtype,
          [],
          x.dtype === 'float16' ? Uint16Array.of(toHalfBits(value)) : fromNumbers(x.dtype, [value]),
        ),
      );
    }
    ctx.emit('Pad', ins, [ctx.name(node.outputs[0])], { mode: { str: mode } });
  },
  vjp([dy], { attrs: { pads, mode } }) {
    check(mode === 'constant', `Pad mode '${mode}' has no gradient rule; use mode 'constant' in differentiated graphs`);
    return [
      pad(
        dy!,
        pads.map((p) => -p),
      ),
    ];
  },
};

/** Pads (or crops, with negative values) `x`; `pads` in ONNX order: begins of every axis, then ends. */
export function pad(
  x: Tensor,
  pads: readonly number[],
  { mode = 'constant', value = 0 }: { mode?: PadAttrs['mode']; value?: number } = {},
): Tensor {
  if (pads.every((p) => p === 0)) return x;
  return x.graph.apply(Pad, [x], { pads: [...pads], mode, value })[0];
}
