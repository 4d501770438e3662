/**
 * MaxPool's gradient for overlapping, padded or dilated windows (a ResNet stem's 3/2/1 pool), from standard
 * ops only (no MaxPool Indices: missing on WebGPU; no ConvTranspose or Scatter):
 * - patches: a depthwise Conv with one-hot kernels, one output channel per window offset j, gives
 *   P[n, c, j, o] = x[n, c, o·stride − pad + j·dilation] (zeros in the padding, then masked to −∞ there);
 * - the first maximum of each window in scan order (as PyTorch) by Equal against the pooled Y and an
 *   exclusive CumSum of that mask over j;
 * - dX: the one-hot Conv's input gradient (conv-grad.ts) applied to dy placed at each window's first max.
 * The conv's batch axis stays free (reshapes keep N as −1); the padding mask is a constant over space only.
 */
import { requireStatic } from '../dim';
import { allocate } from '../dtype';
import type { Tensor } from '../tensor';
import { logicalAnd } from './and';
import { cast } from './cast';
import { conv } from './conv';
import { convInputGrad } from './conv-grad';
import { cumsum } from './cumsum';
import { equal } from './equal';
import { type PoolAttrs, poolDilations } from './pool-kit';
import { reshape } from './reshape';
import { where } from './where';

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Row-major multi-index of `flat` within `dims`. */
function unflatten(flat: number, dims: readonly number[]): number[] {
  const out = new Array(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    out[i] = flat % dims[i];
    flat = Math.floor(flat / dims[i]);
  }
  return out;
}

export function maxPoolGradGeneral(dy: Tensor, x: Tensor, y: Tensor, attrs: PoolAttrs): Tensor {
  const { kernel, strides, pads } = attrs;
  const dilations = poolDilations(attrs);
  const g = x.graph;
  // The batch may be symbolic (reshapes keep it as -1); channels and space are read as numbers.
  const c = requireStatic(x.dims.slice(1, 2), 'the max-pool gradient (channels)')[0];
  const sp = requireStatic(x.dims.slice(2), 'the max-pool gradient (spatial axes)');
  const out = requireStatic(dy.dims.slice(2), 'the max-pool gradient (spatial axes)');
  const K = prod(kernel);
  // One-hot kernels [C·K, 1, ...k]: output channel c·K + j copies offset j of channel c.
  const oneHot = allocate(x.dtype, c * K * K) as Float32Array;
  for (let ch = 0; ch < c; ch++) for (let j = 0; j < K; j++) oneHot[(ch * K + j) * K + j] = 1;
  const w = g.constant(oneHot, x.dtype, [c * K, 1, ...kernel]);
  const convAttrs = { pads, strides, dilations, group: c };
  const patches = reshape(conv(x, w, null, convAttrs), [-1, c, K, ...out]);
  // Which (offset, output position) pairs read a padded element: never the max (PyTorch pads with −∞).
  const inside = allocate('bool', K * prod(out)) as Uint8Array;
  for (let j = 0; j < K; j++) {
    const off = unflatten(j, kernel);
    for (let o = 0; o < prod(out); o++) {
      const pos = unflatten(o, out);
      inside[j * prod(out) + o] = pos.every((p, i) => {
        const at = p * strides[i] - pads[i] + off[i] * dilations[i];
        return at >= 0 && at < sp[i];
      })
        ? 1
        : 0;
    }
  }
  const valid = g.constant(inside, 'bool', [1, 1, K, ...out]);
  const yv = reshape(y, [-1, c, 1, ...out]);
  const isMax = logicalAnd(valid, equal(patches, yv));
  const before = cumsum(cast(isMax, x.dtype), 2, { exclusive: true });
  const first = logicalAnd(isMax, equal(before, 0));
  const dPatches = reshape(where(first, reshape(dy, [-1, c, 1, ...out]), 0), [-1, c * K, ...out]);
  return convInputGrad(dPatches, w, convAttrs, x.dims);
}
