import * as path from 'node:path';
import type { GVSL } from '../../graphs/gvsl';
import { nccLoss } from '../../graphs/losses';
import { globalNccLoss } from '../../graphs/similarity';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import { sub } from '../../sdk/ops';
import type { StateDict } from '../../sdk/state';
import { cropAt, type Volume } from '../data';
import { createSession, runSession, type SessionOptions } from '../engine/ort';

/** How well a trained GVSL registers one pair, against leaving the moving image where it is. */
export interface PairRegistration {
  fixed: string;
  moving: string;
  /** The centre crop both volumes are cut to (the run's crop size). */
  size: [number, number, number];
  /** Local NCC (window 9, mean of cc² over the windows, the official similarity; 1 is perfect). */
  localNcc: { identity: number; registered: number };
  /** Global NCC over the crop (1 is perfect). */
  globalNcc: { identity: number; registered: number };
}

/** The centre `size` block of a volume (zeros where the volume is smaller). */
function centreCrop(v: Volume, size: [number, number, number]): Float32Array {
  return cropAt(
    v,
    v.dims.map((d, a) => Math.floor((d - size[a]) / 2)),
    size,
  ).data;
}

/**
 * Registers `moving` to `fixed` (prepared volumes, centre crops of `size`) with the model's weights `params`
 * and measures the similarity before (identity) and after (the warped moving image), in one ONNX graph run by
 * ONNX Runtime: the same numbers for the same weights.
 */
export async function registerPair(
  model: GVSL,
  params: StateDict,
  fixed: Volume,
  moving: Volume,
  size: [number, number, number],
  session: SessionOptions = {},
): Promise<PairRegistration> {
  const shape = [1, 1, ...size];
  const g = new Graph('register_pair');
  const A = g.input('A', 'float32', shape);
  const B = g.input('B', 'float32', shape);
  const { warp } = model.call(A, B);
  g.output('local_identity', sub(1, nccLoss(B, A)));
  g.output('local_registered', sub(1, nccLoss(warp, A)));
  g.output('global_identity', sub(1, globalNccLoss(B, A)));
  g.output('global_registered', sub(1, globalNccLoss(warp, A)));
  const s = await createSession(exportModel(g, { weights: params }).model, session);
  try {
    const arr = (v: Volume) => ({ dtype: 'float32' as const, shape, data: centreCrop(v, size) });
    const out = await runSession(s, { A: arr(fixed), B: arr(moving) });
    const v = (k: string) => Number(out[k].data[0]);
    return {
      fixed: path.basename(fixed.name ?? 'fixed'),
      moving: path.basename(moving.name ?? 'moving'),
      size,
      localNcc: { identity: v('local_identity'), registered: v('local_registered') },
      globalNcc: { identity: v('global_identity'), registered: v('global_registered') },
    };
  } finally {
    await s.release();
  }
}
