import { mulDims } from '../dim';
import { BuildError } from '../errors';
import { reshape } from '../ops';
import type { Tensor } from '../tensor';

/** torch.flatten(x, start_dim=0, end_dim=-1) (nn.Flatten defaults to start_dim=1). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const r = Math.max(x.rank, 1);
  const s = startDim < 0 ? startDim + r : startDim;
  const e = endDim < 0 ? endDim + r : endDim;
  if (s < 0 || e >= r || s > e)
    throw new BuildError(
      'flatten',
      x.graph.scope,
      `start_dim ${startDim} and end_dim ${endDim} do not fit input ${x.type}`,
    );
  if (x.rank === 0 || s === e) return x.rank === 0 ? reshape(x, [1]) : x;
  const merged = mulDims(...x.dims.slice(s, e + 1));
  // A static batch axis (when not merged) is given as -1, not as a number; symbolic dims stay symbols.
  return reshape(x, [
    ...x.dims.slice(0, s).map((d, i) => (i === 0 && typeof d === 'number' ? -1 : d)),
    s === 0 ? -1 : merged,
    ...x.dims.slice(e + 1),
  ]);
}
