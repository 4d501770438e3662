/**
 * Gradient checks of the shape primitives, float64 (ORT's CPU EP moves float64 data for every one of them).
 * Hand-computed placements (slice steps, negative pads) are in the test file.
 */
import { concat, expandTo, flip, mul, pad, reshape, slice, split, squeeze, transpose, unsqueeze } from '../../sdk/ops';
import type { ShapePrim } from '../../sdk/ops/names';
import type { GradCase } from '../helpers/gradcheck';

export const SHAPE_GRAD_CASES: { [K in ShapePrim]: GradCase[] } = {
  Reshape: [{ label: '(2, 3, 5) → (5, 6)', inputs: [{ shape: [2, 3, 5] }], build: ([x]) => reshape(x, [5, -1]) }],
  Transpose: [
    { label: 'perm [2, 0, 3, 1]', inputs: [{ shape: [3, 5, 2, 4] }], build: ([x]) => transpose(x, [2, 0, 3, 1]) },
  ],
  Slice: [
    {
      label: 'x[:, 1:-1]',
      inputs: [{ shape: [3, 7] }],
      build: ([x]) => slice(x, { axes: [1], starts: [1], ends: [-1] }),
    },
    {
      label: 'steps 3 and −2 on two axes',
      inputs: [{ shape: [8, 7, 2] }],
      build: ([x]) => slice(x, { axes: [0, -2], starts: [1, 6], ends: [8, 0], steps: [3, -2] }),
    },
    {
      label: 'step −3 from beyond the end',
      inputs: [{ shape: [8, 3] }],
      build: ([x]) => slice(x, { axes: [0], starts: [100], ends: [-100], steps: [-3] }),
    },
    {
      label: 'flip, then an empty range concatenated',
      inputs: [{ shape: [5, 4] }],
      build: ([x]) => concat([flip(x, [0, 1]), slice(x, { axes: [0], starts: [-10], steps: [-1] })], 0),
    },
  ],
  Concat: [
    {
      label: 'three inputs along axis 1, one used twice',
      inputs: [{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }],
      build: ([a, b]) => concat([a, b, a], 1),
    },
  ],
  Split: [
    {
      label: 'every part used, reordered',
      inputs: [{ shape: [2, 6, 3] }],
      build: ([x]) => {
        const [a, b, c] = split(x, { axis: 1, sizes: [1, 3, 2] });
        return concat([c, mul(a, a), b], 1);
      },
    },
    {
      label: 'a part without cotangent gets zeros',
      inputs: [{ shape: [3, 7] }],
      build: ([x]) => {
        const [a, , c] = split(x, { axis: -1, sizes: [2, 4, 1] });
        return concat([mul(c, c), a], 1);
      },
    },
  ],
  Pad: [
    {
      label: 'positive pads with a value',
      inputs: [{ shape: [2, 3, 5] }],
      build: ([x]) => pad(x, [0, 1, 2, 0, 3, 1], { value: 4 }),
    },
    {
      label: 'negative pads mixed with positive ones',
      inputs: [{ shape: [4, 7] }],
      build: ([x]) => pad(x, [-1, 2, 3, -3]),
    },
  ],
  Expand: [{ label: '(3, 1) → (2, 3, 5)', inputs: [{ shape: [3, 1] }], build: ([x]) => expandTo(x, [2, 3, 5]) }],
  Squeeze: [{ label: 'axes [0, -1]', inputs: [{ shape: [1, 3, 1, 5, 1] }], build: ([x]) => squeeze(x, [0, -1]) }],
  Unsqueeze: [{ label: 'axes [0, 3]', inputs: [{ shape: [3, 5] }], build: ([x]) => unsqueeze(x, [0, 3]) }],
};
