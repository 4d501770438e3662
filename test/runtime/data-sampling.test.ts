import { Rng } from '../../sdk/nn/rng';
import { sampleGvslBatch } from '../../runtime/data/gvsl-batch';
import { makePhantom } from '../../runtime/data/phantom';
import { cropAt, randomCrop, samplePair } from '../../runtime/data/sampling';
import { makeVolume } from '../../runtime/data/volume';

const index = (i: number) => Float32Array.from({ length: i }, (_, k) => k + 1);

test('phantoms are deterministic, in [0, 1], and differ between seeds', () => {
  const a = makePhantom({ dims: [12, 14, 16], seed: 7 });
  expect(makePhantom({ dims: [12, 14, 16], seed: 7 }).data).toEqual(a.data);
  expect(makePhantom({ dims: [12, 14, 16], seed: 8 }).data).not.toEqual(a.data);
  expect(Math.max(...a.data)).toBeLessThanOrEqual(1);
  expect(Math.min(...a.data)).toBe(0);
  expect(new Set(Array.from(a.data, (v) => v.toFixed(1))).size).toBeGreaterThan(3);
});

test('crops inside the volume copy the block; outside is zero', () => {
  const v = makeVolume(index(4 * 5 * 6), [4, 5, 6]);
  const c = cropAt(v, [1, 2, 3], [2, 2, 2]);
  expect(Array.from(c.data)).toEqual(
    [
      1 * 30 + 2 * 6 + 3,
      1 * 30 + 2 * 6 + 4,
      1 * 30 + 3 * 6 + 3,
      1 * 30 + 3 * 6 + 4,
      2 * 30 + 2 * 6 + 3,
      2 * 30 + 2 * 6 + 4,
      2 * 30 + 3 * 6 + 3,
      2 * 30 + 3 * 6 + 4,
    ].map((x) => x + 1),
  );
  expect(c.padded).toBe(false);
  const edge = cropAt(v, [-1, 0, 5], [2, 1, 2]);
  expect(Array.from(edge.data)).toEqual([0, 0, 6, 0]);
});

test('random crops pad a small volume with zeros, flag it and warn', () => {
  const v = makeVolume(index(3 * 4 * 5), [3, 4, 5], [1, 1, 1], 'small.nii.gz');
  const warnings: string[] = [];
  const rng = new Rng(1);
  for (let t = 0; t < 20; t++) {
    const c = randomCrop(v, [6, 4, 2], rng, (m) => warnings.push(m));
    expect(c.padded).toBe(true);
    expect(c.origin[0]).toBeLessThanOrEqual(0);
    expect(c.origin[0]).toBeGreaterThanOrEqual(-3);
    expect(c.origin[1]).toBe(0);
    const nonzero = c.data.filter((x) => x !== 0);
    expect(nonzero.length).toBe(3 * 4 * 2); // the whole volume along d and h, 2 of 5 along w
  }
  expect(warnings[0]).toBe('small.nii.gz: volume 3x4x5 is smaller than the crop 6x4x2; padded with zeros');
  expect(randomCrop(v, [2, 2, 2], rng).padded).toBe(false);
});

test('pairs are never a volume with itself, and cover all ordered pairs', () => {
  const rng = new Rng(2);
  const seen = new Set<string>();
  for (let t = 0; t < 2000; t++) {
    const [a, b] = samplePair(4, rng);
    expect(a).not.toBe(b);
    seen.add(`${a},${b}`);
  }
  expect(seen.size).toBe(12);
  expect(() => samplePair(1, rng)).toThrow('GVSL pairs need at least 2 volumes, got 1');
});

test('GVSL batches: shapes, different volumes, reproducible from the Rng state', () => {
  const vols = [1, 2, 3].map((seed) => makePhantom({ dims: [20, 22, 24], seed }));
  const rng = new Rng(3);
  const state = rng.getState();
  const opts = {
    crop: [16, 16, 16] as [number, number, number],
    batch: 2,
    spatial: { sigma: [2, 3] as [number, number] },
  };
  const b = sampleGvslBatch(vols, rng, opts);
  expect(b.shape).toEqual([2, 1, 16, 16, 16]);
  expect(b.A.length).toBe(2 * 16 ** 3);
  expect(b.pairs.every(([x, y]) => x !== y)).toBe(true);
  expect(b.padded).toBe(false);
  expect(b.Aaug).not.toEqual(b.A);
  const again = new Rng(0);
  again.setState(state);
  const c = sampleGvslBatch(vols, again, opts);
  expect(c.A).toEqual(b.A);
  expect(c.Aaug).toEqual(b.Aaug);
  expect(c.B).toEqual(b.B);
  const plain = sampleGvslBatch(vols, new Rng(4), { crop: [8, 8, 8], appearance: false, spatial: false });
  expect(plain.Aaug).toEqual(plain.A);
});
