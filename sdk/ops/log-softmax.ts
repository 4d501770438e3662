import { attr, type Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { exp } from './exp';
import { wrapAxes } from './kit';
import { mul } from './mul';
import { reduceSum } from './reduce-sum';
import { sub } from './sub';
import { inferAlongAxis, type SoftmaxAttrs } from './softmax';

/**
 * log softmax along one axis: x − log Σ_axis eˣ, lowered stably as (x − m) − log Σ_axis e^(x − m) with
 * m = max_axis x (ReduceMax, Sub, Exp, ReduceSum, Log, Sub), not as ONNX LogSoftmax: ONNX Runtime 1.30's WebGPU
 * EP has no LogSoftmax kernel, so every classifier's cross-entropy fell back to the CPU there
 * (docs/performance.md). VJP: dx = dy − e^y·Σ_axis dy. Keeps the output only.
 * Why a primitive: composed as (x − max) − log Σ e^(x − max), autodiff also differentiates the max (an Equal
 * mask, a count and a division per call), although that gradient is zero; cross-entropy uses this in every
 * classifier's training step.
 */
export const LogSoftmax: Primitive<SoftmaxAttrs> = {
  name: 'LogSoftmax',
  inputs: ['input'],
  infer: inferAlongAxis,
  lower(ctx, node) {
    const x = ctx.name(node.inputs[0]);
    const { axis } = node.attrs;
    const reduce = (op: string, t: string, label: string): string => {
      const out = ctx.fresh(label);
      // Axes are an input from opset 13 for ReduceSum, 18 for ReduceMax (as reduceLower).
      if (ctx.opset >= (op === 'ReduceSum' ? 13 : 18))
        ctx.emit(op, [t, ctx.i64([axis])], [out], { keepdims: attr.int(1) });
      else ctx.emit(op, [t], [out], { axes: attr.ints([axis]), keepdims: attr.int(1) });
      return out;
    };
    const [shifted, e, logSum] = [ctx.fresh('shifted'), ctx.fresh('exp'), ctx.fresh('log_sum')];
    ctx.emit('Sub', [x, reduce('ReduceMax', x, 'max')], [shifted]);
    ctx.emit('Exp', [shifted], [e]);
    ctx.emit('Log', [reduce('ReduceSum', e, 'sum')], [logSum]);
    ctx.emit('Sub', [shifted, logSum], [ctx.name(node.outputs[0])]);
  },
  vjp([dy], { outputs: [y], attrs: { axis } }) {
    return [sub(dy!, mul(exp(y), reduceSum(dy!, [axis], { keepdims: true })))];
  },
};

/** log(softmax(x)) along `axis` (default -1), numerically stable: `logSoftmax(logits, { axis: 1 })`. */
export function logSoftmax(x: Tensor, { axis = -1 } = {}): Tensor {
  return x.graph.apply(LogSoftmax, [x], { axis: wrapAxes([axis], x.rank)[0] })[0];
}
