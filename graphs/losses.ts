import { add, concat, conv, div, mean, mul, reshape, slice, split, sub } from '../sdk/ops';
import type { Tensor } from '../sdk/tensor';

/**
 * `x` filtered along each spatial axis by the 1-D `taps` (zero padding, same size): three separable
 * convolutions. The local sums of NCC (box taps) and the Gaussian moments of SSIM both use it.
 */
export function separableFilter3d(x: Tensor, taps: readonly number[]): Tensor {
  const [n, c, ...sp] = x.shape;
  const g = x.graph;
  const win = taps.length;
  const p = Math.floor(win / 2);
  let h = reshape(x, [n * c, 1, ...sp]);
  for (let axis = 0; axis < 3; axis++) {
    const k = [1, 1, 1];
    k[axis] = win;
    const pads = [0, 0, 0, 0, 0, 0];
    pads[axis] = p;
    pads[axis + 3] = win - 1 - p;
    h = conv(h, g.constant(taps, x.dtype, [1, 1, ...k]), null, { pads });
  }
  return reshape(h, x.shape);
}

/** Sums over a cubic window of `win` voxels with zero padding, as three separable 1-D box filters. */
export function boxSum3d(x: Tensor, win: number): Tensor {
  return separableFilter3d(x, new Array<number>(win).fill(1));
}

/**
 * Local normalised cross-correlation loss, the official GVSL/VoxelMorph formula with a `win`³ window
 * (default 9) and zero padding: 1 − mean(cross² / (var_I·var_J + 1e-5)). Box sums are separable.
 */
export function nccLoss(I: Tensor, J: Tensor, win = 9): Tensor {
  const n = win ** 3;
  // One box filter over the five stacked quantities.
  const [n0] = I.shape;
  const sums = boxSum3d(concat([I, J, mul(I, I), mul(J, J), mul(I, J)], 0), win);
  const [iSum, jSum, i2Sum, j2Sum, ijSum] = split(sums, { axis: 0, sizes: [n0, n0, n0, n0, n0] });
  const uI = div(iSum, n);
  const uJ = div(jSum, n);
  const cross = add(sub(sub(ijSum, mul(uJ, iSum)), mul(uI, jSum)), mul(mul(uI, uJ), n));
  const iVar = add(sub(i2Sum, mul(mul(uI, iSum), 2)), mul(mul(uI, uI), n));
  const jVar = add(sub(j2Sum, mul(mul(uJ, jSum), 2)), mul(mul(uJ, uJ), n));
  return sub(1, mean(div(mul(cross, cross), add(mul(iVar, jVar), 1e-5))));
}

/** mean((a − b)²). */
export function mseLoss(a: Tensor, b: Tensor): Tensor {
  const d = sub(a, b);
  return mean(mul(d, d));
}

/** The official smoothness ("gradient") loss of a flow (N, 3, D, H, W): mean of squared forward differences per axis, averaged. */
export function smoothLoss(flow: Tensor): Tensor {
  const diff = (axis: number) => {
    const s = flow.shape[axis];
    const d = sub(
      slice(flow, { axes: [axis], starts: [1], ends: [s] }),
      slice(flow, { axes: [axis], starts: [0], ends: [s - 1] }),
    );
    return mean(mul(d, d));
  };
  return div(add(add(diff(3), diff(2)), diff(4)), 3);
}
