/**
 * Convolution gradients from standard ops only (Conv, Slice, Pad, Reshape, Transpose, Gemm/MatMul, Concat):
 * ConvTranspose is 8× slower on ORT's CPU EP and fails on WebGPU, and the training contrib ops are absent
 * (ORT-NOTES.md). Shared by Conv and by AveragePool's general-case VJP.
 */
import type { Tensor } from '../tensor';
import { concat } from './concat';
import { type ConvAttrs, conv } from './conv';
import { gemm } from './gemm';
import { matmul } from './matmul';
import { pad } from './pad';
import { reshape } from './reshape';
import { slice } from './slice';
import { transpose } from './transpose';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);
const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Every kernel offset (a multi-index below `k`), in row-major order. */
function kernelOffsets(k: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of k) out = out.flatMap((o) => range(n).map((i) => [...o, i]));
  return out;
}

/** W [C_out, C_in/g, ...k] → [C_in, C_out/g, ...k] (in/out channels swapped per group), spatially reversed. */
export function flipWeights(w: Tensor, group: number): Tensor {
  const [co, cig, ...k] = w.shape;
  const sp = range(k.length, 2);
  const swapped = group === 1
    ? transpose(w, [1, 0, ...sp])
    : reshape(transpose(reshape(w, [group, co / group, cig, ...k]), [0, 2, 1, ...range(k.length, 3)]), [cig * group, co / group, ...k]);
  const axes = sp.filter((a) => w.shape[a] > 1);
  return axes.length ? slice(swapped, { axes, steps: axes.map(() => -1) }) : swapped;
}

/** Puts stride−1 zeros after every element of each spatial axis: [N, C, ...O] → [N, C, ...O·stride]. */
export function interleaveZeros(t: Tensor, strides: readonly number[]): Tensor {
  if (strides.every((s) => s === 1)) return t;
  const [n, c, ...o] = t.shape;
  const split = reshape(t, [n, c, ...o.flatMap((v) => [v, 1])]);
  const ends = [0, 0, ...strides.flatMap((s) => [0, s - 1])];
  const padded = pad(split, [...ends.map(() => 0), ...ends]);
  return reshape(padded, [n, c, ...o.map((v, i) => v * strides[i])]);
}

/**
 * dX of a convolution: a stride-1 Conv of dy (zero-interleaved by the stride) with the flipped, channel-
 * swapped weights and pads dilation·(k−1) − pad; the end pad also covers the input rows the forward
 * stride skipped. Negative pads (pad > dilation·(k−1)) become a crop of dy, as ONNX Conv pads are ≥ 0.
 */
export function convInputGrad(dy: Tensor, w: Tensor, { pads, strides, dilations, group }: ConvAttrs, xShape: readonly number[]): Tensor {
  const s = xShape.length - 2;
  const k = w.shape.slice(2);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < s; i++) {
    const span = dilations[i] * (k[i] - 1);
    const padded = xShape[2 + i] + pads[i] + pads[i + s];
    const rem = (padded - span - 1) % strides[i];
    begin.push(span - pads[i]);
    end.push(span - pads[i + s] + rem - (strides[i] - 1));
  }
  const d = pad(interleaveZeros(dy, strides), [0, 0, ...begin.map((v) => Math.min(v, 0)), 0, 0, ...end.map((v) => Math.min(v, 0))]);
  return conv(d, flipWeights(w, group), null, {
    pads: [...begin, ...end].map((v) => Math.max(v, 0)), strides: strides.map(() => 1), dilations, group,
  });
}

/** [N, C, ...] → [C, N, ...] (a free reshape when N = 1), then [C, N·S] or [g, C/g, N·S]. */
function channelsFirst(t: Tensor, group: number): Tensor {
  const cn = t.shape[0] === 1 ? t : transpose(t, [1, 0, ...range(t.rank - 2, 2)]);
  return reshape(cn, group === 1 ? [t.shape[1], -1] : [group, t.shape[1] / group, -1]);
}

/**
 * dW of a convolution: for each kernel offset j, dW[:, :, j] = dy · X_jᵀ over batch and space, where X_j is
 * the padded input seen through offset j (one Slice, one Gemm(transB) per offset; ORT-NOTES measured this
 * faster than the batch↔channel Conv trick). With stride 1 the Slice may instead cut a padded dy against
 * the unpadded X; we slice whichever of the two is smaller (~27% faster on the U-Net's up-blocks).
 * Groups: one batched MatMul per offset against the shared operand transposed once.
 */
export function convWeightGrad(dy: Tensor, x: Tensor, { pads, strides, dilations, group }: ConvAttrs, wShape: readonly number[]): Tensor {
  const [, ci, ...sp] = x.shape;
  const [co, , ...k] = wShape;
  const out = dy.shape.slice(2);
  const s = sp.length;
  const axes = range(s, 2);
  const span = k.map((v, i) => dilations[i] * (v - 1));
  // Padding X: the begins as given, the end only as far as the last window reaches.
  const xEnd = sp.map((v, i) => (out[i] - 1) * strides[i] + span[i] + 1 - v - pads[i]);
  // Padding dy so that slice j, of length S, holds dy[q + pad − j·dilation] (zero outside dy).
  const dyBegin = span.map((v, i) => v - pads[i]);
  const dyEnd = sp.map((v, i) => v + pads[i] - out[i]);
  const xSize = ci * prod(sp.map((v, i) => v + pads[i] + xEnd[i]));
  const dySize = co * prod(sp.map((v, i) => v + span[i]));
  const sliceDy = strides.every((v) => v === 1) && dySize < xSize;

  const parts: Tensor[] = [];
  if (sliceDy) {
    const dyp = pad(dy, [0, 0, ...dyBegin, 0, 0, ...dyEnd]);
    const dyc = dyp.shape[0] === 1 ? dyp : transpose(dyp, [1, 0, ...axes]);
    const xm = channelsFirst(x, group);
    const xT = group === 1 ? xm : transpose(xm, [0, 2, 1]);
    for (const j of kernelOffsets(k)) {
      const starts = j.map((v, i) => span[i] - v * dilations[i]);
      const ds = slice(dyc, { axes, starts, ends: starts.map((v, i) => v + sp[i]) });
      const dm = reshape(ds, group === 1 ? [co, -1] : [group, co / group, -1]);
      parts.push(group === 1 ? gemm(dm, xm, null, { transB: true }) : matmul(dm, xT));
    }
    const all = concat(parts.map((p) => reshape(p, [...p.shape, 1])), parts[0].rank);
    return reshape(all, wShape);
  }
  const xp = pad(x, [0, 0, ...pads.slice(0, s), 0, 0, ...xEnd]);
  const xc = xp.shape[0] === 1 ? xp : transpose(xp, [1, 0, ...axes]);
  const dm = channelsFirst(dy, group);
  const dT = group === 1 ? dm : transpose(dm, [0, 2, 1]);
  for (const j of kernelOffsets(k)) {
    const starts = j.map((v, i) => v * dilations[i]);
    const xs = slice(xc, { axes, starts, ends: starts.map((v, i) => v + (out[i] - 1) * strides[i] + 1), steps: strides });
    const xm = reshape(xs, group === 1 ? [ci, -1] : [group, ci / group, -1]);
    parts.push(group === 1 ? gemm(dm, xm, null, { transB: true }) : matmul(xm, dT));
  }
  const all = concat(parts.map((p) => reshape(p, [...p.shape, 1])), parts[0].rank);
  // Grouped parts are [g, C_in/g, C_out/g]: swap to [g, C_out/g, C_in/g] on the small result.
  return reshape(group === 1 ? all : transpose(all, [0, 2, 1, 3]), wShape);
}
