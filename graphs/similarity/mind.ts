import {
  add,
  concat,
  div,
  exp,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  reduceMean,
  reduceMin,
  slice,
  square,
  sub,
} from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';

export interface MindOptions {
  /** Half-width of the patch the squared differences are averaged over (default 2: 5³ patches). */
  radius?: number;
  /** Distance in voxels between the neighbours compared (default 2). */
  dilation?: number;
}

/** `x` (N, C, D, H, W) padded by repeating its border voxels `p` times on each side of each spatial axis. */
function replicatePad(x: Tensor, p: number): Tensor {
  let h = x;
  for (const axis of [2, 3, 4]) {
    if (p === 0) break;
    const s = h.shape[axis];
    const first = slice(h, { axes: [axis], starts: [0], ends: [1] });
    const last = slice(h, { axes: [axis], starts: [s - 1], ends: [s] });
    h = concat([...Array(p).fill(first), h, ...Array(p).fill(last)], axis);
  }
  return h;
}

/**
 * Sums over `win`³ windows that lie inside `x` (a "valid" box filter, each axis shrinking by win − 1), as
 * shifted slices added per axis: no Conv, so it runs (and is gradient-checked) in float64 too.
 */
function validBoxSum(x: Tensor, win: number): Tensor {
  let h = x;
  for (const axis of [2, 3, 4]) {
    const len = h.shape[axis] - win + 1;
    let s = slice(h, { axes: [axis], starts: [0], ends: [len] });
    for (let k = 1; k < win; k++) s = add(s, slice(h, { axes: [axis], starts: [k], ends: [k + len] }));
    h = s;
  }
  return h;
}

/**
 * The 12 pairs of the self-similarity context: the six face neighbours of the centre of a 3³ grid, paired
 * when they are √2 apart (Heinrich et al. 2013), as offsets in that grid (each 0..2).
 */
export function mindPairs(): [number[], number[]][] {
  const six = [
    [0, 1, 1],
    [1, 1, 0],
    [1, 0, 1],
    [1, 1, 2],
    [2, 1, 1],
    [1, 2, 1],
  ];
  const pairs: [number[], number[]][] = [];
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < i; j++) {
      if (six[i].reduce((s, v, k) => s + (v - six[j][k]) ** 2, 0) === 2) pairs.push([six[i], six[j]]);
    }
  }
  return pairs;
}

/**
 * The MIND-SSC descriptor (N, 12, D, H, W) of a single-channel volume, as Heinrich's PyTorch MINDSSC: for
 * each of the 12 neighbour pairs the squared difference of the two neighbours (`dilation` voxels from the
 * centre, border replicated), averaged over a (2·radius + 1)³ patch; minus its minimum over the 12 channels,
 * divided by its mean over them (clamped to [0.001, 1000] × that mean's volume average), through exp(−·).
 * NOTE: the reference detaches the clamp bounds (`.item()`); here they stay in the graph, so the gradients
 * differ where the clamp is active (near-constant regions), not elsewhere.
 */
export function mindSsc(x: Tensor, opts: MindOptions = {}): Tensor {
  const r = opts.radius ?? 2;
  const d = opts.dilation ?? 2;
  const [, , D, H, W] = x.shape;
  const xp = replicatePad(x, d);
  const at = (o: number[]) =>
    slice(xp, { axes: [2, 3, 4], starts: o.map((v) => v * d), ends: [D, H, W].map((s, k) => o[k] * d + s) });
  const diffs = concat(
    mindPairs().map(([p, q]) => square(sub(at(p), at(q)))),
    1,
  );
  const win = 2 * r + 1;
  const ssd = div(validBoxSum(replicatePad(diffs, r), win), win ** 3);
  const mind = sub(ssd, reduceMin(ssd, [1], { keepdims: true }));
  const v = reduceMean(mind, [1], { keepdims: true });
  const vm = mean(v);
  const clamped = minimum(maximum(v, mul(vm, 0.001)), mul(vm, 1000));
  return exp(neg(div(mind, clamped)));
}

/** MIND-SSC loss: mean((MIND(I) − MIND(J))²), a modality-independent structural similarity. */
export function mindLoss(I: Tensor, J: Tensor, opts: MindOptions = {}): Tensor {
  return mean(square(sub(mindSsc(I, opts), mindSsc(J, opts))));
}
