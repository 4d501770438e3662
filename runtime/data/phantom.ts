import { Rng } from '../../sdk/nn/rng';
import { makeVolume, type Dims3, type Volume } from './volume';

export interface PhantomOptions {
  dims: Dims3;
  seed?: number;
  /** Inner ellipsoids inside the body (default 4). */
  blobs?: number;
  spacing?: [number, number, number];
}

/**
 * A deterministic head-like test image in [0, 1]: a body ellipsoid (≈0.3) holding a few smaller ellipsoids
 * of different intensities, all modulated by a smooth low-frequency texture (±10 %); zero outside.
 */
export function makePhantom(opts: PhantomOptions): Volume {
  const rng = new Rng(opts.seed ?? 0);
  const [D, H, W] = opts.dims;
  const centre = (n: number, jitter: number) => (n - 1) / 2 + rng.uniform(-jitter, jitter) * n;
  const body = { c: [centre(D, 0.03), centre(H, 0.03), centre(W, 0.03)], r: [D * rng.uniform(0.38, 0.45), H * rng.uniform(0.38, 0.45), W * rng.uniform(0.38, 0.45)], v: 0.3 };
  const blobs = Array.from({ length: opts.blobs ?? 4 }, () => ({
    c: [centre(D, 0.15), centre(H, 0.15), centre(W, 0.15)],
    r: [D * rng.uniform(0.06, 0.16), H * rng.uniform(0.06, 0.16), W * rng.uniform(0.06, 0.16)],
    v: rng.uniform(0.45, 1),
  }));
  const waves = Array.from({ length: 3 }, () => ({ k: [rng.uniform(0.5, 2), rng.uniform(0.5, 2), rng.uniform(0.5, 2)], ph: rng.uniform(0, 2 * Math.PI) }));
  const inside = (e: { c: number[]; r: number[] }, d: number, h: number, w: number) =>
    ((d - e.c[0]) / e.r[0]) ** 2 + ((h - e.c[1]) / e.r[1]) ** 2 + ((w - e.c[2]) / e.r[2]) ** 2 <= 1;
  const data = new Float32Array(D * H * W);
  let o = 0;
  for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++, o++) {
    if (!inside(body, d, h, w)) continue;
    let v = body.v;
    for (const b of blobs) if (inside(b, d, h, w)) v = b.v;
    let t = 0;
    for (const q of waves) t += Math.sin(2 * Math.PI * (q.k[0] * d / D + q.k[1] * h / H + q.k[2] * w / W) + q.ph);
    data[o] = Math.min(1, Math.max(0, v * (1 + 0.1 * t / 3)));
  }
  return makeVolume(data, [D, H, W], opts.spacing ?? [1, 1, 1], `phantom(seed ${opts.seed ?? 0})`);
}
