/**
 * The lowerings that polyphase.ts replaced, kept as an independent reference for its tests: a strided Conv's
 * input gradient as a stride-1 Conv of the zero-interleaved dy, and the overlapping max-pool's gradient as that
 * input gradient of a one-hot depthwise patch Conv (sdk/ops before issue 17's speed work, 2026-12-03).
 */
import type { ConvAttrs } from '../../sdk/ops/conv';
import { flipWeights } from '../../sdk/ops/conv-grad';
import type { PoolAttrs } from '../../sdk/ops/pool-kit';
import { cast, conv, cumsum, equal, logicalAnd, pad, reshape, where } from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

function unflatten(flat: number, dims: readonly number[]): number[] {
  const out = new Array(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    out[i] = flat % dims[i];
    flat = Math.floor(flat / dims[i]);
  }
  return out;
}

/** Puts stride−1 zeros after every element of each spatial axis: [N, C, ...O] → [N, C, ...O·stride]. */
function interleaveZeros(t: Tensor, strides: readonly number[]): Tensor {
  const [n, c, ...o] = t.shape;
  const split = reshape(t, [n, c, ...o.flatMap((v) => [v, 1])]);
  const ends = [0, 0, ...strides.flatMap((s) => [0, s - 1])];
  return reshape(pad(split, [...ends.map(() => 0), ...ends]), [n, c, ...o.map((v, i) => v * strides[i])]);
}

/** dX of a convolution: a stride-1 Conv of the zero-interleaved dy with the flipped weights. */
export function zeroInterleavedInputGrad(
  dy: Tensor,
  w: Tensor,
  { pads, strides, dilations, group }: ConvAttrs,
  xShape: readonly number[],
): Tensor {
  const s = xShape.length - 2;
  const k = w.shape.slice(2);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < s; i++) {
    const span = dilations[i] * (k[i] - 1);
    const rem = (xShape[2 + i] + pads[i] + pads[i + s] - span - 1) % strides[i];
    begin.push(span - pads[i]);
    end.push(span - pads[i + s] + rem - (strides[i] - 1));
  }
  const d = pad(interleaveZeros(dy, strides), [
    0,
    0,
    ...begin.map((v) => Math.min(v, 0)),
    0,
    0,
    ...end.map((v) => Math.min(v, 0)),
  ]);
  return conv(d, flipWeights(w, group), null, {
    pads: [...begin, ...end].map((v) => Math.max(v, 0)),
    strides: strides.map(() => 1),
    dilations,
    group,
  });
}

/** MaxPool's general gradient by a one-hot patch Conv and its zero-interleaved input gradient. */
export function oneHotMaxPoolGrad(dy: Tensor, x: Tensor, y: Tensor, attrs: PoolAttrs): Tensor {
  const { kernel, strides, pads } = attrs;
  const dilations = attrs.dilations ?? kernel.map(() => 1);
  const [, c, ...sp] = x.shape;
  const out = dy.shape.slice(2);
  const K = prod(kernel);
  const oneHot = new Float32Array(c * K * K);
  for (let ch = 0; ch < c; ch++) for (let j = 0; j < K; j++) oneHot[(ch * K + j) * K + j] = 1;
  const w = x.graph.constant(oneHot, 'float32', [c * K, 1, ...kernel]);
  const convAttrs = { pads, strides, dilations, group: c };
  const patches = reshape(conv(x, w, null, convAttrs), [-1, c, K, ...out]);
  const inside = new Uint8Array(K * prod(out));
  for (let j = 0; j < K; j++) {
    const off = unflatten(j, kernel);
    for (let o = 0; o < prod(out); o++) {
      const pos = unflatten(o, out);
      const ok = pos.every((p, i) => {
        const at = p * strides[i] - pads[i] + off[i] * dilations[i];
        return at >= 0 && at < sp[i];
      });
      inside[j * prod(out) + o] = ok ? 1 : 0;
    }
  }
  const valid = x.graph.constant(inside, 'bool', [1, 1, K, ...out]);
  const isMax = logicalAnd(valid, equal(patches, reshape(y, [-1, c, 1, ...out])));
  const before = cumsum(cast(isMax, 'float32'), 2, { exclusive: true });
  const first = logicalAnd(isMax, equal(before, 0));
  const dPatches = reshape(where(first, reshape(dy, [-1, c, 1, ...out]), 0), [-1, c * K, ...out]);
  return zeroInterleavedInputGrad(dPatches, w, convAttrs, x.shape);
}
