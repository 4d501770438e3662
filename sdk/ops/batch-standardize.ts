import { allocate } from '../dtype';
import { check } from '../errors';
import type { LowerCtx, Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { add } from './add';
import { div } from './div';
import { mul } from './mul';
import { reduceMean } from './reduce-mean';
import { reshape } from './reshape';
import { countOver, emitReduce } from './reduce-sum';
import { sqrt } from './sqrt';
import { sub } from './sub';
import { where } from './where';

export interface BatchStandardizeAttrs {
  eps: number;
}

/** The reduced axes (every axis but the channel axis 1). */
const statAxes = (rank: number): number[] => [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];

/**
 * Mean per channel (axis 1), keepdims, in two stages: x as [N, C, spatial size] (a free Reshape), the mean over
 * space, then over the batch. One stage per spatial axis (ReduceMean over the last axis of 8–32 elements, then
 * the next) cost ORT 5–15× more (ORT profile: 9.6 % of the ResNet example's step, docs/performance.md); a single
 * reduction over [0, 2, 3] is as fast but long float32 reductions lose precision (ORT-NOTES.md).
 */
const channelMean = (t: Tensor): Tensor => {
  if (t.rank === 2) return reduceMean(t, [0], { keepdims: true });
  const flat = t.rank === 3 ? t : reshape(t, [t.dims[0]!, t.dims[1]!, -1]);
  const m = reduceMean(reduceMean(flat, [2], { keepdims: true }), [0], { keepdims: true });
  return t.rank === 3
    ? m
    : reshape(
        m,
        t.dims.map((d, i) => (i === 1 ? d : 1)),
      );
};

/**
 * BatchNorm's training-mode normalisation: per channel (axis 1) over the batch and every spatial axis,
 * x̂ = (x − mean) / √(var + eps). Outputs [x̂, mean, var] (the statistics [1, C, 1, …], var biased: the
 * running-statistics update reads them). Lowered to Reshape/ReduceMean/Sub/Mul/Add/Sqrt/Div (every EP), each mean
 * over space, then over the batch (channelMean).
 *
 * Why a primitive (as Standardize for GroupNorm): the VJP in closed form,
 * dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / std + dmean / M + dvar·2·x̂·std / M (M = N · spatial size),
 * is a handful of elementwise passes; composed, autodiff expanded every staged mean's cotangent back to the
 * input shape (Expand, 5–10 % of the ResNet example's step, docs/performance.md) and kept x − mean alive.
 */
export const BatchStandardize: Primitive<BatchStandardizeAttrs> = {
  name: 'BatchStandardize',
  inputs: ['X'],
  infer([x], { eps }) {
    check(x!.rank >= 2, () => `needs rank >= 2 ([N, C, ...]), got ${x!.type}`);
    check(x!.dtype === 'float32' || x!.dtype === 'float64', () => `needs a float32 or float64 tensor, got ${x!.dtype}`);
    check(Number.isFinite(eps) && eps >= 0, () => `eps must be a finite number >= 0, got ${eps}`);
    const stat = { dtype: x!.dtype, shape: x!.dims.map((s, i) => (i === 1 ? s : 1)) };
    return [{ dtype: x!.dtype, shape: [...x!.dims] }, stat, { ...stat }];
  },
  lower(ctx: LowerCtx, node) {
    const x = node.inputs[0]!;
    // channelMean's two stages; Reshape's 0 copies the input's dim, so a symbolic batch stays symbolic.
    const reduce = (t: string, axis: number, out: string): string => {
      emitReduce(ctx, 'ReduceMean', 18, t, [axis], [out], true);
      return out;
    };
    const mean = (t: string, label: string, out: string): string => {
      if (x.rank === 2) return reduce(t, 0, out);
      let flat = t;
      if (x.rank > 3) ctx.emit('Reshape', [t, ctx.i64([0, 0, -1])], [(flat = ctx.fresh(`${label}_flat`))]);
      const perImage = reduce(flat, 2, ctx.fresh(`${label}_space`));
      if (x.rank === 3) return reduce(perImage, 0, out);
      const m3 = reduce(perImage, 0, ctx.fresh(label));
      ctx.emit('Reshape', [m3, ctx.i64(x.dims.map((_, i) => (i === 1 ? 0 : 1)))], [out]);
      return out;
    };
    const [xn, m, v] = node.outputs.map((t) => ctx.name(t));
    const xc = ctx.fresh('centered');
    const sq = ctx.fresh('squared');
    const ve = ctx.fresh('var_eps');
    const std = ctx.fresh('std');
    ctx.emit('Sub', [ctx.name(x), mean(ctx.name(x), 'mean', m!)], [xc]);
    ctx.emit('Mul', [xc, xc], [sq]);
    const eps = allocate(x.dtype, 1);
    eps[0] = node.attrs.eps;
    ctx.emit('Add', [mean(sq, 'var', v!), ctx.constant(x.dtype, [], eps)], [ve]);
    ctx.emit('Sqrt', [ve], [std]);
    ctx.emit('Div', [xc, std], [xn]);
  },
  vjp([dxn, dmean, dvar], { outputs: [xn, , variance], attrs: { eps } }) {
    const std = sqrt(add(variance, eps));
    const count = (): number | Tensor => countOver(xn, statAxes(xn.rank));
    const terms: Tensor[] = [];
    if (dxn) terms.push(div(sub(sub(dxn, channelMean(dxn)), mul(xn, channelMean(mul(dxn, xn)))), std));
    if (dvar) terms.push(mul(xn, div(mul(mul(dvar, std), 2), count())));
    // dmean/M broadcasts; when it is the only cotangent, exact zeros shaped as x̂ (Where, not Mul by 0) give the shape.
    if (dmean) terms.push(div(dmean, count()));
    if (terms.length === 1 && dmean) terms.unshift(where(xn.graph.constant(new Uint8Array(1), 'bool', []), xn, 0));
    const dx = terms.length ? terms.reduce((a, b) => add(a, b)) : null;
    return [dx];
  },
};

/**
 * `batchStandardize(x, { eps })` → [x̂, mean, var]: x normalised per channel over the batch and space (batch norm
 * in training mode, before its affine map), with the batch mean and biased variance as [1, C, 1, …].
 */
export function batchStandardize(x: Tensor, { eps = 1e-5 }: { eps?: number } = {}): [Tensor, Tensor, Tensor] {
  const [xn, mean, variance] = x.graph.apply(BatchStandardize, [x], { eps });
  return [xn, mean, variance];
}
