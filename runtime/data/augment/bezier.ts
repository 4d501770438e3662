import type { Rng } from '../../../sdk/nn/rng';

export interface BezierOptions {
  /** Official GVSL quirk: never the inverted curve (GVSL always sorts both coordinates). */
  official?: boolean;
  /** Points sampled along the curve (Models Genesis: 100000). */
  samples?: number;
}

/** A monotone lookup curve: y(x) by linear interpolation, x ascending. */
export interface IntensityCurve {
  xs: Float64Array;
  ys: Float64Array;
}

/**
 * The Models Genesis curve (Zhou et al. 2019, `nonlinear_transformation`): a cubic Bézier from (0,0) to (1,1)
 * with inner control points p1, p2 in [0,1]², sampled at `samples` points; x(s) is monotone for such points.
 * Not inverted: both coordinate lists are sorted (a monotone increasing map). Inverted ("half change to get
 * flip"): x sorted with y read in reverse curve order, i.e. v = x(s) ↦ y(1 − s), taking 0 to 1 and 1 to 0.
 */
export function bezierCurve(p1: [number, number], p2: [number, number], inverted: boolean, samples = 100000): IntensityCurve {
  const bez = (s: number, a: number, b: number) => 3 * (1 - s) ** 2 * s * a + 3 * (1 - s) * s * s * b + s ** 3;
  const xs = new Float64Array(samples);
  const ys = new Float64Array(samples);
  for (let k = 0; k < samples; k++) {
    const s = samples > 1 ? k / (samples - 1) : 0;
    xs[k] = bez(s, p1[0], p2[0]);
    ys[k] = bez(inverted ? 1 - s : s, p1[1], p2[1]);
  }
  xs.sort();
  if (!inverted) ys.sort();
  return { xs, ys };
}

/** `curve` applied to every value, like np.interp (clamped to the end values outside [x0, xn]). */
export function applyCurve(src: Float32Array, curve: IntensityCurve): Float32Array {
  const { xs, ys } = curve;
  const n = xs.length;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!(v > xs[0])) {
      out[i] = ys[0];
      continue;
    }
    if (v >= xs[n - 1]) {
      out[i] = ys[n - 1];
      continue;
    }
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= v) lo = mid;
      else hi = mid;
    }
    const dx = xs[hi] - xs[lo];
    out[i] = dx > 0 ? ys[lo] + ((v - xs[lo]) / dx) * (ys[hi] - ys[lo]) : ys[lo];
  }
  return out;
}

/** Non-linear intensity transform of [0,1] data: random control points, inverted half the time. */
export function bezierIntensity(src: Float32Array, rng: Rng, opts: BezierOptions = {}): Float32Array {
  const p1: [number, number] = [rng.next(), rng.next()];
  const p2: [number, number] = [rng.next(), rng.next()];
  const inverted = !opts.official && rng.next() < 0.5;
  return applyCurve(src, bezierCurve(p1, p2, inverted, opts.samples ?? 100000));
}
