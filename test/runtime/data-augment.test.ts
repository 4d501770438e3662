import { Rng } from '../../sdk/nn/rng';
import { invert3 } from '../../runtime/data/affine';
import { damageAppearance } from '../../runtime/data/augment/appearance';
import { applyCurve, bezierCurve, bezierIntensity } from '../../runtime/data/augment/bezier';
import { gaussianKernel } from '../../runtime/data/augment/elastic';
import { inPaint, outPaint } from '../../runtime/data/augment/painting';
import { localPixelShuffle } from '../../runtime/data/augment/pixel-shuffle';
import {
  drawSpatial,
  gvslMatrix,
  sourceCoord,
  spatialParams,
  type SpatialValues,
} from '../../runtime/data/augment/spatial';
import { applySpatial } from '../../runtime/data/augment/warp';
import { makePhantom } from '../../runtime/data/phantom';
import type { Dims3 } from '../../runtime/data/volume';

const DIMS: Dims3 = [20, 22, 24];
const image = makePhantom({ dims: DIMS, seed: 11 }).data;
const ZERO: SpatialValues = {
  rotation: [0, 0, 0],
  scale: [1, 1, 1],
  shear: [0, 0, 0, 0, 0, 0],
  translation: [0, 0, 0],
};
const sorted = (a: ArrayLike<number>) => Float32Array.from(a).sort();

describe('determinism: same seed, same output; another seed, another output', () => {
  const cases: Array<[string, (rng: Rng) => Float32Array]> = [
    ['pixel shuffle', (rng) => localPixelShuffle(image, DIMS, rng, { blocks: 200 })],
    ['Bézier curve', (rng) => bezierIntensity(image, rng, { samples: 1000 })],
    ['in-painting', (rng) => inPaint(image, DIMS, rng)],
    ['out-painting', (rng) => outPaint(image, DIMS, rng)],
    [
      'appearance damage',
      (rng) => damageAppearance(image, DIMS, rng, { localRate: 1, nonlinearRate: 1, paintRate: 1 }),
    ],
    ['appearance damage (official)', (rng) => damageAppearance(image, DIMS, rng, { official: true })],
    ['spatial', (rng) => applySpatial(drawSpatial(DIMS, rng, { sigma: [2, 3] }), [image])[0]],
  ];
  test.each(cases)('%s', (_, f) => {
    const a = f(new Rng(5));
    expect(f(new Rng(5))).toEqual(a);
    expect(f(new Rng(6))).not.toEqual(a);
  });
});

describe('local pixel shuffling', () => {
  const unique = Float32Array.from({ length: 10 * 10 * 10 }, (_, i) => i);
  test('one block: only its voxels move, and they keep their multiset', () => {
    const out = localPixelShuffle(unique, [10, 10, 10], new Rng(1), { blocks: 1, blockSize: [3, 3, 3] });
    const moved = Array.from(out.keys()).filter((i) => out[i] !== unique[i]);
    expect(moved.length).toBeGreaterThan(10);
    const box = [100, 10, 1].map((s) => moved.map((i) => Math.floor(i / s) % 10));
    box.forEach((c) => expect(Math.max(...c) - Math.min(...c)).toBeLessThan(3));
    const [d0, h0, w0] = box.map((c) => Math.min(Math.min(...c), 7));
    const block = (a: Float32Array) => {
      const v: number[] = [];
      for (let d = 0; d < 3; d++)
        for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) v.push(a[(d0 + d) * 100 + (h0 + h) * 10 + w0 + w]);
      return v;
    };
    expect(sorted(block(out))).toEqual(sorted(block(unique)));
  });

  test('each block gets its own permutation (the official code shares one)', () => {
    // A [2, 2, 40] line of 2x2x2 blocks; block starts are the first draws (d, h, then w for each block).
    const line = Float32Array.from({ length: 160 }, (_, i) => i);
    const perms = (seed: number, official: boolean): string[] | null => {
      const replay = new Rng(seed);
      const starts = [0, 1, 2].map((a) => [0, 1].map(() => replay.int(0, (a === 2 ? 40 : 2) - 2 + (official ? 0 : 1))));
      const [w1, w2] = starts[2];
      if (Math.abs(w1 - w2) < 2) return null;
      const out = localPixelShuffle(line, [2, 2, 40], new Rng(seed), { blocks: 2, blockSize: [2, 2, 2], official });
      return [w1, w2].map((w0) => {
        const ks: number[] = [];
        for (let k = 0; k < 8; k++) {
          const at = ((k >> 2) * 2 + ((k >> 1) & 1)) * 40 + w0 + (k & 1);
          const from = out[at];
          ks.push(Math.floor(from / 80) * 4 + (Math.floor(from / 40) % 2) * 2 + (from % 40) - w0);
        }
        expect(sorted(ks)).toEqual(sorted([0, 1, 2, 3, 4, 5, 6, 7]));
        return ks.join(',');
      });
    };
    const ours = [1, 2, 3, 4, 5, 6].map((seed) => perms(seed, false)).filter((p) => p !== null);
    const theirs = [1, 2, 3, 4, 5, 6].map((seed) => perms(seed, true)).filter((p) => p !== null);
    expect(ours.length).toBeGreaterThan(2);
    expect(ours.some(([p1, p2]) => p1 !== p2)).toBe(true);
    expect(theirs.every(([p1, p2]) => p1 === p2)).toBe(true);
  });

  test('the default block is at least 2 voxels; the official ⌊S/20⌋ does nothing below 40 voxels', () => {
    expect(localPixelShuffle(unique, [10, 10, 10], new Rng(3))).not.toEqual(unique);
    expect(localPixelShuffle(unique, [10, 10, 10], new Rng(3), { official: true })).toEqual(unique);
  });
});

describe('Bézier intensity curve', () => {
  test('straight control points give the identity, or 1 − v when inverted', () => {
    const v = Float32Array.from([0, 0.1, 0.25, 0.5, 0.9, 1]);
    const id = applyCurve(v, bezierCurve([1 / 3, 1 / 3], [2 / 3, 2 / 3], false, 2001));
    const inv = applyCurve(v, bezierCurve([1 / 3, 1 / 3], [2 / 3, 2 / 3], true, 2001));
    v.forEach((x, i) => {
      expect(id[i]).toBeCloseTo(x, 5);
      expect(inv[i]).toBeCloseTo(1 - x, 5);
    });
  });

  test('not inverted: monotone from 0 to 1; inverted: v = x(s) maps to y(1 − s)', () => {
    const [p1, p2]: Array<[number, number]> = [
      [0.8, 0.1],
      [0.3, 0.95],
    ];
    const c = bezierCurve(p1, p2, false, 5001);
    expect(c.ys[0]).toBe(0);
    expect(c.ys[5000]).toBe(1);
    for (let k = 1; k < 5001; k++) expect(c.ys[k]).toBeGreaterThanOrEqual(c.ys[k - 1]);
    const bez = (s: number, a: number, b: number) => 3 * (1 - s) ** 2 * s * a + 3 * (1 - s) * s * s * b + s ** 3;
    const inv = bezierCurve(p1, p2, true, 5001);
    for (const s of [0.1, 0.37, 0.8]) {
      expect(applyCurve(Float32Array.of(bez(s, 0.8, 0.3)), inv)[0]).toBeCloseTo(bez(1 - s, 0.1, 0.95), 3);
    }
  });
});

describe('painting', () => {
  test('in-painting only replaces voxels by noise in [0, 1)', () => {
    const out = inPaint(image, DIMS, new Rng(4));
    const changed = Array.from(out.keys()).filter((i) => out[i] !== image[i]);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((i) => out[i] >= 0 && out[i] < 1)).toBe(true);
  });

  test('out-painting keeps at least one large box of the image and fills the rest with noise', () => {
    const out = outPaint(image, DIMS, new Rng(4));
    const kept = Array.from(out.keys()).filter((i) => out[i] === image[i]).length;
    const n = image.length;
    expect(kept).toBeGreaterThan(n * (3 / 7) ** 3 * 0.9);
    expect(kept).toBeLessThan(n);
  });
});

describe('spatial transform', () => {
  test('zero parameters are the identity (exact copy), also through drawSpatial', () => {
    expect(applySpatial(spatialParams(DIMS, ZERO), [image])[0]).toEqual(image);
    const p = drawSpatial(DIMS, new Rng(1), { rotation: 0, scale: [1, 1], translation: 0, shear: 0, alpha: [0, 0] });
    expect(applySpatial(p, [image, image])).toEqual([image, image]);
    // The official flow stage zooms by S/(S − 1) and shifts even axes by ½: not the identity.
    expect(applySpatial(spatialParams(DIMS, ZERO, null, true), [image])[0]).not.toEqual(image);
  });

  test('the matrix follows GVSL (x, y, z) = (w, h, d): a rotation about x turns the (d, h) plane', () => {
    const a = 0.3;
    const m = gvslMatrix({ ...ZERO, rotation: [a, 0, 0] });
    const [c, s] = [Math.cos(a), Math.sin(a)];
    [c, s, 0, -s, c, 0, 0, 0, 1].forEach((v, k) => expect(m[k]).toBeCloseTo(v, 12));
  });

  test('a landmark lands where the matrix says', () => {
    const dims: Dims3 = [24, 28, 32];
    const q = [10.3, 15.2, 12.7];
    const blob = new Float32Array(dims[0] * dims[1] * dims[2]);
    let o = 0;
    for (let d = 0; d < dims[0]; d++)
      for (let h = 0; h < dims[1]; h++)
        for (let w = 0; w < dims[2]; w++) {
          blob[o++] = Math.exp(-((d - q[0]) ** 2 + (h - q[1]) ** 2 + (w - q[2]) ** 2) / (2 * 1.5 ** 2));
        }
    const values: SpatialValues = {
      rotation: [0.2, -0.15, 0.3],
      scale: [1.1, 0.9, 1.2],
      shear: [0.05, -0.1, 0.08, 0.02, -0.04, 0.1],
      translation: [0.05, -0.05, 0.08],
    };
    const p = spatialParams(dims, values);
    // Pull-back q = c + M (x − c) + t, so the landmark goes to x = c + M⁻¹ (q − c − t).
    const inv = invert3(p.matrix);
    const r = q.map((v, a) => v - p.centre[a] - p.translation[a]);
    const x = [0, 1, 2].map((a) => p.centre[a] + inv[a * 3] * r[0] + inv[a * 3 + 1] * r[1] + inv[a * 3 + 2] * r[2]);
    sourceCoord(p, x[0], x[1], x[2]).forEach((v, a) => expect(v).toBeCloseTo(q[a], 9));
    const out = applySpatial(p, [blob])[0];
    const com = [0, 0, 0];
    let mass = 0;
    o = 0;
    for (let d = 0; d < dims[0]; d++)
      for (let h = 0; h < dims[1]; h++)
        for (let w = 0; w < dims[2]; w++, o++) {
          mass += out[o];
          com[0] += d * out[o];
          com[1] += h * out[o];
          com[2] += w * out[o];
        }
    com.forEach((v, a) => expect(Math.abs(v / mass - x[a])).toBeLessThan(0.1));
    expect(Math.abs(x[0] - q[0]) + Math.abs(x[1] - q[1]) + Math.abs(x[2] - q[2])).toBeGreaterThan(2);
  });

  test('applySpatial samples at sourceCoord (with a flow, official mode too)', () => {
    for (const official of [false, true]) {
      const p = drawSpatial(DIMS, new Rng(9), { alpha: [300, 300], sigma: [2, 2], official });
      const out = applySpatial(p, [image])[0];
      for (const [d, h, w] of [
        [3, 4, 5],
        [10, 11, 12],
        [17, 2, 20],
      ]) {
        const [qd, qh, qw] = sourceCoord(p, d, h, w);
        const at = (a: number, b: number, c: number) =>
          a < 0 || b < 0 || c < 0 || a >= 20 || b >= 22 || c >= 24 ? 0 : image[(a * 22 + b) * 24 + c];
        const [d0, h0, w0] = [Math.floor(qd), Math.floor(qh), Math.floor(qw)];
        const [fd, fh, fw] = [qd - d0, qh - h0, qw - w0];
        let v = 0;
        for (let k = 0; k < 8; k++) {
          const [a, b, c] = [k >> 2, (k >> 1) & 1, k & 1];
          v += (a ? fd : 1 - fd) * (b ? fh : 1 - fh) * (c ? fw : 1 - fw) * at(d0 + a, h0 + b, w0 + c);
        }
        expect(out[(d * 22 + h) * 24 + w]).toBeCloseTo(v, 5);
      }
    }
  });

  test('elastic field: mean 0 without the official half-voxel offset, S//2 − (S−1)/2 with it', () => {
    const dims: Dims3 = [16, 17, 18];
    const n = 16 * 17 * 18;
    const mean = (f: Float32Array, c: number) => f.subarray(c * n, (c + 1) * n).reduce((s, v) => s + v, 0) / n;
    const still = drawSpatial(dims, new Rng(1), { alpha: [0, 0] }).flow!;
    [0, 1, 2].forEach((c) => expect(mean(still, c)).toBe(0));
    const quirk = drawSpatial(dims, new Rng(1), { alpha: [0, 0], official: true }).flow!;
    expect([0, 1, 2].map((c) => mean(quirk, c))).toEqual([0.5, 0, 0.5]);
    const ours = drawSpatial(dims, new Rng(2), { alpha: [512, 512], sigma: [3, 3] }).flow!;
    const theirs = drawSpatial(dims, new Rng(2), { alpha: [512, 512], sigma: [3, 3], official: true }).flow!;
    for (let i = 0; i < 3 * n; i += 97) expect(theirs[i] - ours[i]).toBeCloseTo(Math.floor(i / n) === 1 ? 0 : 0.5, 4);
    expect(Math.max(...ours.map(Math.abs))).toBeGreaterThan(0.5);
  });

  test("the Gaussian kernel is scipy's: radius ⌊4σ + ½⌋, sum 1", () => {
    const k = gaussianKernel(10);
    expect(k.length).toBe(81);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(gaussianKernel(12.9).length).toBe(2 * 52 + 1);
  });
});
