/**
 * Polyphase form of a strided window op's adjoint (a strided convolution's input gradient, a transposed
 * convolution, an overlapping max-pool's gradient), from standard ops only.
 *
 * Along an axis with stride s, the forward reads input i = o·s − pad + j·dilation through tap j. The input
 * positions of one residue r = i mod s (a phase) are reached only by the taps with (r + pad − j·dilation) ≡ 0
 * (mod s), each from output o = q + c_j at phase position q (i = q·s + r), c_j = (r + pad − j·dilation)/s. So
 * each phase is a small sum over its own taps at output resolution, and the s^d phases are interleaved by
 * Concat along unit axes + Reshape. The zero-interleaved (stride-dilated) gradient this replaces did s^d times the
 * work on zeros, and its 6-D Pad was the largest node of the ResNet example's step (docs/performance.md).
 */
import type { Dim } from '../dim';
import type { Tensor } from '../tensor';
import { concat } from './concat';
import { reshape } from './reshape';
import { slice } from './slice';
import { where } from './where';

/** One tap of a phase: kernel offset j, read from output position q + c. */
export interface Tap {
  j: number;
  c: number;
}

/** The phases of one spatial axis: q = ⌈L/s⌉ positions per phase (the last may overhang L), and each phase's taps. */
export interface AxisPhases {
  q: number;
  taps: Tap[][];
}

/** Phases of an axis of input length `l` read by a window op with kernel k, stride s, begin pad p, dilation d. */
export function axisPhases(l: number, k: number, s: number, p: number, d: number): AxisPhases {
  const taps: Tap[][] = [];
  for (let r = 0; r < s; r++) {
    const t: Tap[] = [];
    for (let j = 0; j < k; j++) {
      const num = r + p - j * d;
      if (((num % s) + s) % s === 0) t.push({ j, c: num / s });
    }
    taps.push(t);
  }
  return { q: Math.ceil(l / s), taps };
}

/** Every multi-index below `sizes`, row-major. */
export function multiIndices(sizes: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of sizes) out = out.flatMap((o) => Array.from({ length: n }, (_, i) => [...o, i]));
  return out;
}

/**
 * Interleaves the phases (row-major over the residues, each [...lead, q1, ..., qd]; null = a phase no tap reaches,
 * i.e. zeros) into [...lead, L1, ..., Ld]: position i of axis a is phase i mod s_a at i div s_a. The lead axes are
 * merged while interleaving (rank ≤ 7 for 3-D: the highest Transpose/Concat rank checked on ORT's WebGPU EP).
 */
export function interleavePhases(
  phases: readonly (Tensor | null)[],
  lead: readonly Dim[],
  strides: readonly number[],
  q: readonly number[],
  l: readonly number[],
): Tensor {
  const some = phases.find((p): p is Tensor => p !== null);
  if (!some) throw new Error('interleavePhases: every phase is empty');
  // Exact zeros shaped as the others (Where, not Mul by 0, keeps them zero next to infinities).
  const zero = () => where(some.graph.constant(new Uint8Array(1), 'bool', []), some, 0);
  const unitShape = [-1, ...q.flatMap((v) => [v, 1])];
  const d = strides.length;
  let at = 0;
  const build = (axis: number): Tensor => {
    if (axis === d) {
      const p = phases[at++] ?? zero();
      return reshape(p, unitShape);
    }
    const parts = Array.from({ length: strides[axis] }, () => build(axis + 1));
    return parts.length === 1 ? parts[0] : concat(parts, 2 + 2 * axis);
  };
  const stacked = build(0);
  const full = q.map((v, i) => v * strides[i]);
  // The first lead axis (the batch) may be symbolic: the others are static.
  const merged = reshape(stacked, [-1, ...lead.slice(1), ...full]);
  if (full.every((v, i) => v === l[i])) return merged;
  const axes = l.map((_, i) => lead.length + i);
  return slice(merged, { axes, starts: axes.map(() => 0), ends: [...l] });
}
