import {
  add,
  clip,
  concat,
  equal,
  floor,
  greater,
  less,
  mul,
  reshape,
  sub,
  transpose,
  weightedGather,
  where,
} from '../sdk/ops';
import { BuildError } from '../sdk/errors';
import type { Tensor } from '../sdk/tensor';

/**
 * Trilinear sampling of `src` (N, C, D, H, W) at voxel coordinates `z`, `y`, `x` (each (N, D', H', W')),
 * with zeros outside the volume: what torch.nn.functional.grid_sample(mode='bilinear', padding_mode='zeros')
 * computes once its grid is converted to voxel units. Built from primitives so it runs and differentiates on
 * every execution provider: a WeightedGather of the 8 corners from a channel-last copy of `src` (Gathers in the
 * forward, channel-last ScatterND adds and re-gathers in the backward) and interpolation weights that carry the
 * gradient to the coordinates.
 */
export function trilinearSample(src: Tensor, z: Tensor, y: Tensor, x: Tensor): Tensor {
  const [n, c, d, h, w] = src.shape;
  const out = z.shape;
  const m = out.reduce((a, b) => a * b, 1);
  // Flat indices are computed in float32 (int64 arithmetic is missing or slow on some EPs): every index up
  // to n·d·h·w − 1 must be an exact float32 integer, i.e. at most 2^24 voxels (a single 256³ volume fits).
  if (n * d * h * w > 2 ** 24) {
    throw new BuildError(
      'trilinearSample',
      src.graph.scope,
      `${n}x${d}x${h}x${w} voxels exceed float32's exact integer range (2^24) for flat indices; use a smaller batch or volume`,
    );
  }
  const table = reshape(transpose(src, [0, 2, 3, 4, 1]), [n * d * h * w, c]);
  const g = src.graph;
  const batchOffset = g.constant(
    Array.from({ length: n }, (_, i) => i * d * h * w),
    z.dtype,
    [n, 1, 1, 1],
  );

  const axis = (q: Tensor, size: number) => {
    // NOTE: a NaN coordinate (a diverged run) would cast to an invalid index; read it as outside the volume.
    const p = where(equal(q, q), q, -2);
    const p0 = floor(p);
    const frac = sub(p, p0);
    return [0, 1].map((k) => {
      const pk = k ? add(p0, 1) : p0;
      // Zero padding: a corner outside the volume gets weight 0 (its clamped index is then harmless).
      const weight = where(less(pk, 0), 0, where(greater(pk, size - 1), 0, k ? frac : sub(1, frac)));
      return { idx: clip(pk, { min: 0, max: size - 1 }), weight };
    });
  };
  const az = axis(z, d);
  const ay = axis(y, h);
  const ax = axis(x, w);
  const indices: Tensor[] = [];
  const weights: Tensor[] = [];
  for (const cz of az)
    for (const cy of ay)
      for (const cx of ax) {
        const flat = add(add(mul(add(mul(cz.idx, h), cy.idx), w), cx.idx), batchOffset);
        indices.push(reshape(flat, [m]));
        weights.push(reshape(mul(mul(cz.weight, cy.weight), cx.weight), [m]));
      }
  // The 8 corners are blended by one WeightedGather: it gathers corner after corner (no [8, m, c] tensor) and
  // its VJP re-gathers them instead of keeping them for the backward pass (sdk/ops/weighted-gather.ts).
  // Indices stay float32 here: the primitive casts each corner's row to int64 (WebGPU has no int64 Reshape).
  const v = weightedGather(table, reshape(concat(indices, 0), [8, m]), reshape(concat(weights, 0), [8, m]));
  return transpose(reshape(v, [n, ...out.slice(1), c]), [0, 4, 1, 2, 3]);
}
