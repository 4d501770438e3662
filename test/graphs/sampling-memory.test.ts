/**
 * Trilinear sampling (graphs/sampling.ts) through the WeightedGather primitive: its gradient against central
 * differences in float64, and the memory property it exists for: neither the forward nor the backward graph
 * holds a [8, voxels, C] tensor (the composed version kept two of them from the forward until the backward).
 */
import { trilinearSample } from '../../graphs/sampling';
import { grad } from '../../sdk/autodiff';
import { Graph } from '../../sdk/graph';
import { reduceSum, square } from '../../sdk/ops';
import { graphTensorSizes } from '../../runtime/engine/gpu-limits';
import { gradCheck } from '../helpers/gradcheck';

test('gradient to the volume and the coordinates (inside, on the border and outside) matches central differences', async () => {
  // Coordinates in [-1.5, size + 0.5): corners outside the volume get weight 0; random values stay clear of
  // the kinks at integer coordinates.
  const r = await gradCheck({
    inputs: [
      { shape: [2, 3, 4, 5, 6] },
      { shape: [2, 3, 2, 2], range: [-1.5, 4.5] },
      { shape: [2, 3, 2, 2], range: [-1.5, 5.5] },
      { shape: [2, 3, 2, 2], range: [-1.5, 6.5] },
    ],
    build: ([src, z, y, x]) => trilinearSample(src, z, y, x),
  });
  expect(r.rel).toBeLessThan(r.tol);
});

test('no tensor of the training graph is 8 corners wide: the largest is one corner [voxels, C]', () => {
  // C > 8, so one corner's values outweigh the [8, voxels] indices and weights.
  const [n, c, d, h, w] = [1, 12, 6, 7, 8];
  const g = new Graph('sample');
  const src = g.input('src', 'float32', [n, c, d, h, w]);
  const coords = [0, 1, 2].map((k) => g.input(`q${k}`, 'float32', [n, d, h, w]));
  const out = trilinearSample(src, coords[0], coords[1], coords[2]);
  const grads = grad(reduceSum(square(out), [0, 1, 2, 3, 4]), [src, ...coords]);
  g.output('y', out);
  grads.forEach((t, i) => g.output(`g${i}`, t));
  const largest = Math.max(...graphTensorSizes(g).map((t) => t.bytes));
  expect(largest).toBe(n * d * h * w * c * 4);
});
