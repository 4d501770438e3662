/**
 * Activation functions as torch.nn.functional spells them (camelCase), written from primitives: their
 * gradients come from the primitives' VJPs. Each is elementwise unless it says otherwise.
 */
import { BuildError } from '../errors';
import {
  abs,
  add,
  clip,
  div,
  erf,
  exp,
  greater,
  leakyRelu as leakyReluOp,
  log,
  logSoftmax as logSoftmaxOp,
  minimum,
  mul,
  relu as reluOp,
  reshape,
  sigmoid as sigmoidOp,
  softmax as softmaxOp,
  sub,
  tanh as tanhOp,
  where,
} from '../ops';
import type { Tensor } from '../tensor';

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return reluOp(x);
}

/** x if x ≥ 0 else negativeSlope·x (torch default 0.01). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return leakyReluOp(x, { alpha: negativeSlope });
}

/**
 * torch.nn.functional.prelu: x if x > 0 else a·x, with `weight` of shape [1] (one slope) or [C] (one per
 * channel, channels on axis 1 of an input of rank ≥ 2).
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const c = weight.shape[0];
  if (weight.rank !== 1 || (c !== 1 && (x.rank < 2 || x.dims[1] !== c))) {
    throw new BuildError(
      'PReLU',
      x.graph.scope,
      `PReLU(num_parameters=${c}) got input of shape [${x.dims.join(', ')}]: num_parameters must be 1 or the channel count (axis 1)`,
    );
  }
  const w = c === 1 ? weight : reshape(weight, [c, ...x.dims.slice(2).map(() => 1)]);
  return add(reluOp(x), mul(w, minimum(x, 0)));
}

/** x if x > 0 else α·(eˣ − 1) (torch default α = 1). The exponent is clamped at 0, so large x cannot overflow. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return where(greater(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));
}

/**
 * GELU. 'none' (default): x·Φ(x) = ½x(1 + erf(x/√2)), exact via the Erf primitive (float32);
 * 'tanh': ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function gelu(x: Tensor, { approximate = 'none' }: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  if (approximate === 'tanh') {
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(x, 0.5), add(tanhOp(inner), 1));
  }
  if (approximate !== 'none')
    throw new BuildError('gelu', x.graph.scope, `approximate must be 'none' or 'tanh', got '${approximate}'`);
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** x·σ(x) (also called swish). */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoidOp(x));
}

/** log(1 + eˣ) computed stably as max(x, 0) + log(1 + e^−|x|). */
export function softplus(x: Tensor): Tensor {
  return add(reluOp(x), log(add(exp(mul(abs(x), -1)), 1)));
}

/** x·tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  return mul(x, tanhOp(softplus(x)));
}

/** 1 / (1 + e^−x). */
export function sigmoid(x: Tensor): Tensor {
  return sigmoidOp(x);
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  return tanhOp(x);
}

/** x·relu6(x + 3)/6. */
export function hardswish(x: Tensor): Tensor {
  return div(mul(x, clip(add(x, 3), { min: 0, max: 6 })), 6);
}

/** Softmax along `dim` (ONNX Softmax). */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp(x, { axis: dim });
}

/** log(softmax(x)) along `dim`, numerically stable (the LogSoftmax primitive, ONNX LogSoftmax). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return logSoftmaxOp(x, { axis: dim });
}
