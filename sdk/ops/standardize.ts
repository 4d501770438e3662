import { allocate } from '../dtype';
import { check } from '../errors';
import type { LowerCtx, Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { add } from './add';
import { div } from './div';
import { mul } from './mul';
import { reduceMean } from './reduce-mean';
import { countOver, emitReduce } from './reduce-sum';
import { sub } from './sub';

export interface StandardizeAttrs {
  eps: number;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Mean over every axis from 2 on, one axis per stage, last first (keepdims). */
const stagedMean = (t: Tensor): Tensor =>
  range(2, t.rank)
    .reverse()
    .reduce((m, a) => reduceMean(m, [a], { keepdims: true }), t);

/**
 * (x − mean) / std over every axis after the first two, per (axis 0, axis 1) slice, with std = √(biased var + eps):
 * GroupNorm's normalisation on x reshaped to [N, groups, C/groups, ...]. Outputs [x̂, std] (std keeps the
 * reduced axes as 1). Lowered to ReduceMean/Sub/Mul/Add/Sqrt/Div (every EP has them; ONNX GroupNormalization is
 * opset 18 and has no WebGPU kernel), each mean reduced one axis at a time: one long float32 reduction loses
 * ~1e-4 relative precision over 1M elements (measured with ORT 1.30's CPU EP).
 *
 * Why a primitive and not those ops composed: the VJP, dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / std
 * (+ dstd·x̂ / count), needs only the OUTPUTS. Composed, autodiff kept x − mean (for the variance's square and
 * the division) next to x̂: one more activation-sized tensor per GroupNorm until the backward pass reached it.
 */
export const Standardize: Primitive<StandardizeAttrs> = {
  name: 'Standardize',
  inputs: ['X'],
  infer([x], { eps }) {
    check(x!.rank >= 3, () => `needs rank >= 3 ([N, groups, ...]), got ${x!.type}`);
    check(x!.dtype === 'float32' || x!.dtype === 'float64', () => `needs a float32 or float64 tensor, got ${x!.dtype}`);
    check(Number.isFinite(eps) && eps >= 0, () => `eps must be a finite number >= 0, got ${eps}`);
    return [
      { dtype: x!.dtype, shape: [...x!.dims] },
      { dtype: x!.dtype, shape: x!.dims.map((s, i) => (i < 2 ? s : 1)) },
    ];
  },
  lower(ctx: LowerCtx, node) {
    const x = node.inputs[0]!;
    const mean = (t: string, label: string): string => {
      let cur = t;
      for (const a of range(2, x.rank).reverse()) {
        const out = ctx.fresh(label);
        emitReduce(ctx, 'ReduceMean', 18, cur, [a], [out], true);
        cur = out;
      }
      return cur;
    };
    const [xn, std] = node.outputs.map((t) => ctx.name(t));
    const xc = ctx.fresh('centered');
    const sq = ctx.fresh('squared');
    const ve = ctx.fresh('var_eps');
    ctx.emit('Sub', [ctx.name(x), mean(ctx.name(x), 'mean')], [xc]);
    ctx.emit('Mul', [xc, xc], [sq]);
    const eps = allocate(x.dtype, 1);
    eps[0] = node.attrs.eps;
    ctx.emit('Add', [mean(sq, 'var'), ctx.constant(x.dtype, [], eps)], [ve]);
    ctx.emit('Sqrt', [ve], [std]);
    ctx.emit('Div', [xc, std], [xn]);
  },
  vjp([dxn, dstd], { outputs: [xn, std] }) {
    let dx: Tensor | null = null;
    if (dxn) dx = div(sub(sub(dxn, stagedMean(dxn)), mul(xn, stagedMean(mul(dxn, xn)))), std);
    if (dstd) {
      const count = countOver(xn, range(2, xn.rank));
      const fromStd = mul(xn, div(dstd, count));
      dx = dx ? add(dx, fromStd) : fromStd;
    }
    return [dx];
  },
};

/**
 * `standardize(x, { eps })` → [x̂, std]: x normalised to zero mean and unit (biased) variance over every axis
 * after the first two, and std = √(var + eps) with those axes kept as 1.
 */
export function standardize(x: Tensor, { eps = 1e-5 }: { eps?: number } = {}): [Tensor, Tensor] {
  const [xn, std] = x.graph.apply(Standardize, [x], { eps });
  return [xn, std];
}
