import type { Rng } from '../../../sdk/nn/rng';
import type { Dims3 } from '../volume';

/** A box [start, start + size) per axis, in (d, h, w). */
interface Box {
  start: number[];
  size: number[];
}

/** numpy's randint(lo, hi) (hi exclusive), widened to one value when the range is empty (tiny volumes). */
function randint(rng: Rng, lo: number, hi: number): number {
  return hi > lo ? rng.int(lo, hi) : lo;
}

/** Where a box of `size` starts along an axis of `n`: 3 voxels from the borders when it fits (as GVSL). */
function place(rng: Rng, n: number, size: number): number {
  return n - size - 3 > 3 ? rng.int(3, n - size - 3) : randint(rng, 0, n - size + 1);
}

function forBox(dims: Dims3, box: Box, f: (i: number) => void): void {
  const [, H, W] = dims;
  for (let d = box.start[0]; d < box.start[0] + box.size[0]; d++) {
    for (let h = box.start[1]; h < box.start[1] + box.size[1]; h++) {
      const row = (d * H + h) * W;
      for (let w = box.start[2]; w < box.start[2] + box.size[2]; w++) f(row + w);
    }
  }
}

/** An in-painting box: GVSL sizes randint(S//10, S//5) (Models Genesis used S//6..S//3). */
function innerBox(dims: Dims3, rng: Rng): Box {
  const size = dims.map((n) => {
    const lo = Math.max(1, Math.floor(n / 10));
    return Math.min(n, randint(rng, lo, Math.max(lo + 1, Math.floor(n / 5))));
  });
  return { size, start: size.map((s, a) => place(rng, dims[a], s)) };
}

/** An out-painting box: S − randint(3S//7, 4S//7), as GVSL and Models Genesis. */
function outerBox(dims: Dims3, rng: Rng): Box {
  const size = dims.map((n) => Math.max(1, n - randint(rng, Math.floor((3 * n) / 7), Math.floor((4 * n) / 7))));
  return { size, start: size.map((s, a) => place(rng, dims[a], s)) };
}

/**
 * In-painting (Models Genesis `image_in_painting`, GVSL parameters): up to 30 boxes, each drawn while a
 * uniform draw is below 0.95, are filled with uniform [0, 1) noise.
 */
export function inPaint(src: Float32Array, dims: Dims3, rng: Rng): Float32Array {
  const out = Float32Array.from(src);
  for (let cnt = 30; cnt > 0 && rng.next() < 0.95; cnt--) forBox(dims, innerBox(dims, rng), (i) => (out[i] = rng.next()));
  return out;
}

/**
 * Out-painting (Models Genesis `image_out_painting`): everything becomes uniform [0, 1) noise except one
 * large box, plus up to 4 more drawn while a uniform draw is below 0.95, which keep the original image.
 */
export function outPaint(src: Float32Array, dims: Dims3, rng: Rng): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  const keep = (box: Box) => forBox(dims, box, (i) => (out[i] = src[i]));
  keep(outerBox(dims, rng));
  for (let cnt = 4; cnt > 0 && rng.next() < 0.95; cnt--) keep(outerBox(dims, rng));
  return out;
}
