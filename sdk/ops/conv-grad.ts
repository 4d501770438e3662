/**
 * Convolution gradients from standard ops only (Conv, Slice, Pad, Reshape, Transpose, Gemm/MatMul, Concat):
 * ConvTranspose is 8× slower on ORT's CPU EP and fails on WebGPU, and the training contrib ops are absent
 * (in onnxruntime-node 1.30). Shared by Conv and by AveragePool's general-case VJP.
 */
import { type Dim, requireStatic } from '../dim';
import type { Tensor } from '../tensor';
import { concat } from './concat';
import { type ConvAttrs, conv } from './conv';
import { matmul } from './matmul';
import { pad } from './pad';
import { axisPhases, interleavePhases, multiIndices } from './polyphase';
import { reduceSum } from './reduce-sum';
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
  const swapped =
    group === 1
      ? transpose(w, [1, 0, ...sp])
      : reshape(transpose(reshape(w, [group, co / group, cig, ...k]), [0, 2, 1, ...range(k.length, 3)]), [
          cig * group,
          co / group,
          ...k,
        ]);
  const axes = sp.filter((a) => w.shape[a] > 1);
  return axes.length ? slice(swapped, { axes, steps: axes.map(() => -1) }) : swapped;
}

/**
 * dX of a convolution. Stride 1: a Conv of dy with the flipped, channel-swapped weights and pads
 * dilation·(k−1) − pad (negative pads, pad > dilation·(k−1), become a crop of dy, as ONNX Conv pads are ≥ 0).
 * Any stride > 1: the polyphase form (polyphase.ts), one such Conv per phase with the sub-kernel of that phase's
 * taps, on dy at output resolution: no zero-interleaved dy, s^d times fewer multiply-adds.
 */
export function convInputGrad(dy: Tensor, w: Tensor, attrs: ConvAttrs, xDims: readonly Dim[]): Tensor {
  if (attrs.strides.some((v) => v > 1)) return convInputGradPhased(dy, w, attrs, xDims);
  const { pads, dilations, group } = attrs;
  const s = xDims.length - 2;
  // The batch may be symbolic; the pads below depend on the spatial lengths.
  requireStatic(xDims.slice(2), 'the convolution input gradient (spatial axes)');
  const k = w.shape.slice(2);
  const begin = k.map((v, i) => dilations[i] * (v - 1) - pads[i]);
  const end = k.map((v, i) => dilations[i] * (v - 1) - pads[i + s]);
  return croppedConv(dy, flipWeights(w, group), begin, end, dilations, group);
}

/** A stride-1 Conv of dy whose pads may be negative (a negative pad crops dy instead: ONNX Conv pads are ≥ 0). */
function croppedConv(
  dy: Tensor,
  w: Tensor,
  begin: readonly number[],
  end: readonly number[],
  dilations: readonly number[],
  group: number,
): Tensor {
  const d = pad(dy, [0, 0, ...begin.map((v) => Math.min(v, 0)), 0, 0, ...end.map((v) => Math.min(v, 0))]);
  return conv(d, w, null, {
    pads: [...begin, ...end].map((v) => Math.max(v, 0)),
    strides: begin.map(() => 1),
    dilations: [...dilations],
    group,
  });
}

/**
 * The polyphase input gradient: phase r (input positions i ≡ r mod s per axis) reads dy[q + c_j] through its taps
 * j = j0, j0 + s/g, … (g = gcd(s, dilation)), c_j falling by dilation/g per tap: a stride-1 Conv of dy with the
 * flipped sub-kernel w[..., j0::s/g], dilation dilation/g, begin pad −c_last, sized to ⌈L/s⌉ outputs.
 */
function convInputGradPhased(
  dy: Tensor,
  w: Tensor,
  { pads, strides, dilations, group }: ConvAttrs,
  xDims: readonly Dim[],
): Tensor {
  const sp = requireStatic(xDims.slice(2), 'the convolution input gradient (spatial axes)');
  const out = requireStatic(dy.dims.slice(2), 'the convolution input gradient (spatial axes)');
  const k = w.shape.slice(2);
  const spAxes = range(k.length, 2);
  const ax = sp.map((l, i) => axisPhases(l, k[i], strides[i], pads[i], dilations[i]));
  const q = ax.map((a) => a.q);
  const phases = multiIndices(strides).map((r) => {
    const taps = r.map((ri, i) => ax[i].taps[ri]);
    if (taps.some((t) => t.length === 0)) return null;
    const step = taps.map((t) => (t.length > 1 ? t[1].j - t[0].j : 1));
    const dil = taps.map((t) => (t.length > 1 ? t[0].c - t[1].c : 1));
    const whole = taps.every((t, i) => t.length === k[i] && step[i] === 1);
    const sub = whole
      ? w
      : slice(w, {
          axes: spAxes,
          starts: taps.map((t) => t[0].j),
          ends: taps.map((t) => t[t.length - 1].j + 1),
          steps: step,
        });
    // Flipped, output q reads dy[q + c_last + m·dil] for m = 0 … M−1: begin pad −c_last; the end pad makes q outputs.
    const begin = taps.map((t) => -t[t.length - 1].c);
    const end = taps.map((t, i) => q[i] - out[i] - begin[i] + (t.length - 1) * dil[i]);
    // A crop that leaves nothing of dy: no tap of this phase reads inside dy.
    if (begin.some((b, i) => out[i] + Math.min(b, 0) + Math.min(end[i], 0) <= 0)) return null;
    return croppedConv(dy, flipWeights(sub, group), begin, end, dil, group);
  });
  return interleavePhases(phases, [xDims[0], w.shape[1] * group], strides, q, sp);
}

/**
 * The largest im2col matrix (elements) the weight gradient builds: 1-D/2-D up to 2^25 (128 MiB in float32); 3-D up
 * to 2^22 (16 MiB) and only where each sample's cut operand has at most 8³ = 512 voxels, i.e. the deep levels of a
 * 3-D U-Net. GVSL's memory was tuned on the per-offset form (27 × a 64³ activation would not fit), but there its 27
 * products contract over only 512 voxels per sample (at 32³, batch 2, the 8³ level: [128, 512] · [512, 128], then
 * a sum over the batch): tiny GEMMs whose per-node cost weighs. The im2col form there cut the 32³ GVSL step's nodes
 * from 10,698 to 9,259 and its time by ~3–9 % (13 alternating pairs, docs/performance.md); peak RSS unchanged, the
 * 64³ step within noise (only its 4³ level switches).
 * Switching the 16³ level too (4,096 voxels) gained nothing more and put 14 MiB tensors in small graphs.
 */
const IM2COL_MAX = 2 ** 25;
const IM2COL_MAX_3D = 2 ** 22;
const IM2COL_3D_VOXELS = 512;

/**
 * Up to this many input channels (an image stem), a 1-D/2-D weight gradient at a static batch is one Conv (the
 * batch↔channel trick). ResNet example's 7×7 stem, 3 channels, batch 32, alone (2 threads, load ~12): min 48 ms
 * against 123 ms for im2col and 243 ms for the per-offset form; with 64 channels the trick was 2× slower than
 * im2col (its per-channel products are only K = 9 columns wide).
 */
const FEW_INPUT_CHANNELS = 4;

/** [N, C, ...] → [C, N, ...] (a free reshape when N = 1). */
function channelsFirst(t: Tensor): Tensor {
  const [n, c, ...rest] = t.dims;
  return n === 1 ? reshape(t, [c, 1, ...rest]) : transpose(t, [1, 0, ...range(t.rank - 2, 2)]);
}

/** [C, N, ...] → [C, N·S], or [g, C/g, N·S] with groups. */
function flat(t: Tensor, group: number): Tensor {
  const c = t.dims[0] as number;
  return reshape(t, group === 1 ? [c, -1] : [group, c / group, -1]);
}

/**
 * dW of a convolution: for each kernel offset j, dW[:, :, j] = Σ over batch and space of dy · X_jᵀ, where X_j
 * is the padded input seen through offset j: one Slice and one product per offset (measured
 * faster on ORT 1.30's CPU EP than the batch↔channel Conv trick). With stride 1 the Slice may instead cut a padded dy against the
 * unpadded X; we cut whichever is smaller (~27% faster on the U-Net's up-blocks).
 * Without groups the product is a batched MatMul [N, C_shared, S] × [N, S, C_cut] summed over N: the slice
 * is transposed for the MatMul's B, which ORT fuses into one FusedMatMul(transB) with no copy, so neither
 * operand is ever moved to channels-first. That copy (`[C, N, S]` of the larger operand when N > 1) was the
 * largest working buffer of the GVSL step's backward (192 MiB at up4, 64³): the batched form uses 140–200 MiB
 * less and ran 0–20% faster per layer (2 threads, 64³).
 * Groups: one batched MatMul per offset against the shared operand, channels-first and transposed once.
 * Without groups while the matrix stays under `im2colMax` (1-D/2-D images: short rows per sample, batches of tens;
 * 3-D: the deep levels of at most 8³ voxels): im2col, every offset's slice stacked channels-first into one
 * [C_cut·K, N·S] operand and one GEMM, no sum over N afterwards (the ResNet example's 7×7 stem: 49 thin batched
 * products + 49 ReduceSums, ~17 % of its step, became one GEMM). `im2colMax` 0 forces the per-offset form (tests).
 */
export function convWeightGrad(
  dy: Tensor,
  x: Tensor,
  { pads, strides, dilations, group }: ConvAttrs,
  wShape: readonly number[],
  im2colMax = x.rank - 2 <= 2 ? IM2COL_MAX : IM2COL_MAX_3D,
): Tensor {
  const n = x.dims[0];
  const ci = x.dims[1] as number;
  const sp = requireStatic(x.dims.slice(2), 'the convolution weight gradient (spatial axes)');
  const [co, , ...k] = wShape;
  const out = requireStatic(dy.dims.slice(2), 'the convolution weight gradient (spatial axes)');
  const s = sp.length;
  const axes = range(s, 2);
  const span = k.map((v, i) => dilations[i] * (v - 1));
  // Padding X: the begins as given, the end only as far as the last window reaches.
  const xEnd = sp.map((v, i) => (out[i] - 1) * strides[i] + span[i] + 1 - v - pads[i]);
  // Padding dy so that its slice j, of length S, holds dy[q + pad − j·dilation] (zero outside dy).
  const dyBegin = span.map((v, i) => v - pads[i]);
  const dyEnd = sp.map((v, i) => v + pads[i] - out[i]);
  const xSize = ci * prod(sp.map((v, i) => v + pads[i] + xEnd[i]));
  const dySize = co * prod(sp.map((v, i) => v + span[i]));
  const cutDy = strides.every((v) => v === 1) && dySize < xSize;

  const padded = cutDy
    ? pad(dy, [0, 0, ...dyBegin, 0, 0, ...dyEnd])
    : pad(x, [0, 0, ...pads.slice(0, s), 0, 0, ...xEnd]);
  const sliceAt = (from: Tensor, j: number[]): Tensor => {
    const starts = j.map((v, i) => (cutDy ? span[i] - v * dilations[i] : v * dilations[i]));
    const ends = starts.map((v, i) => v + (cutDy ? sp[i] : (out[i] - 1) * strides[i] + 1));
    return slice(from, { axes, starts, ends, steps: cutDy ? undefined : strides });
  };
  const stack = (parts: Tensor[]): Tensor =>
    concat(
      parts.map((p) => reshape(p, [...p.dims, 1])),
      parts[0].rank,
    );

  if (group === 1 && s <= 2 && ci <= FEW_INPUT_CHANNELS && typeof n === 'number') {
    // An image stem (RGB / grayscale input): batch and channels swapped, dy is the kernel of one Conv over the
    // padded X, dilated by the stride; ORT's own im2col of so few channels beats building one from Slices.
    const xp = channelsFirst(pad(x, [0, 0, ...pads.slice(0, s), 0, 0, ...xEnd]));
    const r = conv(xp, channelsFirst(dy), null, {
      pads: new Array(2 * s).fill(0),
      strides: [...dilations],
      dilations: [...strides],
      group: 1,
    });
    return transpose(r, [1, 0, ...axes]);
  }
  const cutC = cutDy ? co : ci;
  // The form does not depend on the batch, so that a symbolic-batch graph sums in the same order as the static
  // ones (a symbolic batch is sized per sample).
  const cutVoxels = prod(cutDy ? sp : out);
  const colsSize = prod(k) * cutC * (typeof n === 'number' ? n : 1) * cutVoxels;
  const small = s <= 2 || cutVoxels <= IM2COL_3D_VOXELS;
  if (group === 1 && small && colsSize <= im2colMax) {
    // Channels-first, every offset's slice stacked (im2col): [C_cut·K, N·S], one GEMM whose contraction runs
    // over batch and space together. Rows of the product are the shared operand's channels.
    const cf = channelsFirst(padded);
    const parts = kernelOffsets(k).map((j) => reshape(sliceAt(cf, j), [cutC, 1, -1]));
    const cols = reshape(parts.length > 1 ? concat(parts, 1) : parts[0], [cutC * prod(k), -1]);
    const shared = reshape(channelsFirst(cutDy ? x : dy), [cutDy ? ci : co, -1]);
    const all = matmul(shared, transpose(cols, [1, 0]));
    return reshape(cutDy ? transpose(reshape(all, [ci, co, -1]), [1, 0, 2]) : all, wShape);
  }
  if (group === 1) {
    const shared = reshape(cutDy ? x : dy, [n, cutDy ? ci : co, -1]);
    // Each part is [C_shared, C_cut]: rows are X's channels when dy is cut.
    const all = stack(
      kernelOffsets(k).map((j) => {
        const c = reshape(sliceAt(padded, j), [n, cutDy ? co : ci, -1]);
        return reduceSum(matmul(shared, transpose(c, [0, 2, 1])), [0]);
      }),
    );
    return reshape(cutDy ? transpose(all, [1, 0, 2]) : all, wShape);
  }
  const cut = channelsFirst(padded);
  const sharedT = transpose(flat(channelsFirst(cutDy ? x : dy), group), [0, 2, 1]);
  const all = stack(kernelOffsets(k).map((j) => matmul(flat(sliceAt(cut, j), group), sharedT)));
  // Rows are the cut operand's channels (per group): dy's when dy is cut.
  return reshape(cutDy ? all : transpose(all, [0, 2, 1, 3]), wShape);
}
