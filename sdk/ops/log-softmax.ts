import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { exp } from './exp';
import { wrapAxes } from './kit';
import { mul } from './mul';
import { reduceSum } from './reduce-sum';
import { sub } from './sub';
import { inferAlongAxis, type SoftmaxAttrs } from './softmax';

/**
 * ONNX LogSoftmax (opset 13 semantics: along one axis): x − log Σ_axis eˣ, computed stably by the runtime.
 * VJP: dx = dy − e^y·Σ_axis dy. Keeps the output only.
 * Why a primitive: composed as (x − max) − log Σ e^(x − max), autodiff also differentiates the max (an Equal
 * mask, a count and a division per call), although that gradient is zero; cross-entropy uses this in every
 * classifier's training step.
 */
export const LogSoftmax: Primitive<SoftmaxAttrs> = {
  name: 'LogSoftmax',
  inputs: ['input'],
  infer: inferAlongAxis,
  lower(ctx, node) {
    ctx.emit('LogSoftmax', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], { axis: { int: node.attrs.axis } });
  },
  vjp([dy], { outputs: [y], attrs: { axis } }) {
    return [sub(dy!, mul(exp(y), reduceSum(dy!, [axis], { keepdims: true })))];
  },
};

/** log(softmax(x)) along `axis` (default -1), numerically stable: `logSoftmax(logits, { axis: 1 })`. */
export function logSoftmax(x: Tensor, { axis = -1 } = {}): Tensor {
  return x.graph.apply(LogSoftmax, [x], { axis: wrapAxes([axis], x.rank)[0] })[0];
}
