/** Forward checks of the shape primitives: ORT against the plain-TypeScript references in test/ref/shape.ts. */
import { cast, concat, expandTo, flip, pad, reshape, slice, split, squeeze, transpose, unsqueeze } from '../../sdk/ops';
import type { ShapePrim } from '../../sdk/ops/names';
import type { PrimCase } from '../helpers/primcheck';
import { concatRef, expandRef, padRef, reshapeRef, sliceRef, splitRef, transposeRef } from '../ref/shape';

export const SHAPE_PRIM_CASES: { [K in ShapePrim]: PrimCase[] } = {
  Reshape: [
    {
      label: '(2, 3, 5) → (5, -1)',
      inputs: [{ shape: [2, 3, 5] }],
      build: ([x]) => reshape(x, [5, -1]),
      ref: ([x]) => reshapeRef(x, [5, 6]),
    },
    {
      label: 'to a scalar, int64, opset 13',
      inputs: [{ shape: [1, 1], dtype: 'int64', values: [42] }],
      opset: 13,
      build: ([x]) => reshape(x, []),
      ref: ([x]) => reshapeRef(x, []),
    },
    {
      label: 'an empty tensor to (3, 0) (allowzero, opset 14)',
      inputs: [{ shape: [0, 3] }],
      build: ([x]) => reshape(x, [3, 0]),
      ref: ([x]) => reshapeRef(x, [3, 0]),
    },
  ],
  Transpose: [
    {
      label: 'perm [2, 0, 3, 1] of an odd shape',
      inputs: [{ shape: [3, 5, 2, 7] }],
      build: ([x]) => transpose(x, [2, 0, 3, 1]),
      ref: ([x]) => transposeRef(x, [2, 0, 3, 1]),
    },
    {
      label: 'default perm reverses the axes, float64',
      inputs: [{ shape: [2, 3, 4], dtype: 'float64' }],
      build: ([x]) => transpose(x),
      ref: ([x]) => transposeRef(x, [2, 1, 0]),
    },
  ],
  Slice: [
    {
      label: 'x[:, 1:-1] on an odd axis',
      inputs: [{ shape: [3, 7] }],
      build: ([x]) => slice(x, { axes: [1], starts: [1], ends: [-1] }),
      ref: ([x]) => sliceRef(x, [1], [1], [-1], [1]),
    },
    {
      label: 'step 3 and step −2 on two axes',
      inputs: [{ shape: [8, 7, 2] }],
      build: ([x]) => slice(x, { axes: [0, -2], starts: [1, 6], ends: [8, 0], steps: [3, -2] }),
      ref: ([x]) => sliceRef(x, [0, 1], [1, 6], [8, 0], [3, -2]),
    },
    {
      label: 'step −1 over the whole axis (flip), float64',
      inputs: [{ shape: [5, 4], dtype: 'float64' }],
      build: ([x]) => flip(x, [0, -1]),
      ref: ([x]) => sliceRef(x, [0, 1], [undefined, undefined], [undefined, undefined], [-1, -1]),
    },
    {
      label: 'out-of-range starts and ends are clamped',
      inputs: [{ shape: [5, 6] }],
      build: ([x]) => slice(x, { axes: [0, 1], starts: [-100, 2], ends: [100, 1000], steps: [2, 1] }),
      ref: ([x]) => sliceRef(x, [0, 1], [-100, 2], [100, 1000], [2, 1]),
    },
    {
      label: 'negative step from beyond the end, to before the start',
      inputs: [{ shape: [7, 3] }],
      build: ([x]) => slice(x, { axes: [0], starts: [100], ends: [-100], steps: [-3] }),
      ref: ([x]) => sliceRef(x, [0], [100], [-100], [-3]),
    },
    {
      label: 'empty ranges (numpy: x[-10::-1] and x[4:2])',
      inputs: [{ shape: [5, 6] }],
      build: ([x]) => slice(x, { axes: [0, 1], starts: [-10, 4], ends: [undefined, 2], steps: [-1, 1] }),
      ref: ([x]) => sliceRef(x, [0, 1], [-10, 4], [undefined, 2], [-1, 1]),
    },
    {
      label: 'int64 data, opset 13',
      inputs: [{ shape: [6], dtype: 'int64', values: [1, 2, 3, 4, 5, 6] }],
      opset: 13,
      build: ([x]) => slice(x, { starts: [-2], steps: [-2] }),
      ref: ([x]) => sliceRef(x, [0], [-2], [undefined], [-2]),
    },
  ],
  Concat: [
    {
      label: 'three inputs along axis 1',
      inputs: [{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }, { shape: [2, 2, 3] }],
      build: (xs) => concat(xs, 1),
      ref: (xs) => concatRef(xs, 1),
    },
    {
      label: 'axis -1, float64',
      inputs: [
        { shape: [3, 2], dtype: 'float64' },
        { shape: [3, 5], dtype: 'float64' },
      ],
      build: (xs) => concat(xs, -1),
      ref: (xs) => concatRef(xs, 1),
    },
  ],
  Split: [
    {
      label: 'sizes [1, 3, 2] along axis 1',
      inputs: [{ shape: [2, 6, 3] }],
      build: ([x]) => split(x, { axis: 1, sizes: [1, 3, 2] }),
      ref: ([x]) => splitRef(x, 1, [1, 3, 2]),
    },
    {
      label: 'axis -1, float64, opset 18',
      inputs: [{ shape: [3, 7], dtype: 'float64' }],
      opset: 18,
      build: ([x]) => split(x, { axis: -1, sizes: [4, 3] }),
      ref: ([x]) => splitRef(x, 1, [4, 3]),
    },
    {
      label: 'a single part, opset 13',
      inputs: [{ shape: [5, 2] }],
      opset: 13,
      build: ([x]) => split(x, { sizes: [5] }),
      ref: ([x]) => splitRef(x, 0, [5]),
    },
  ],
  Pad: [
    {
      label: 'positive pads with a value',
      inputs: [{ shape: [2, 3, 5] }],
      build: ([x]) => pad(x, [0, 1, 2, 0, 3, 1], { value: -2.5 }),
      ref: ([x]) => padRef(x, [0, 1, 2, 0, 3, 1], 'constant', -2.5),
    },
    {
      label: 'negative pads crop, mixed with positive ones',
      inputs: [{ shape: [4, 7] }],
      build: ([x]) => pad(x, [-1, 2, 3, -3]),
      ref: ([x]) => padRef(x, [-1, 2, 3, -3]),
    },
    {
      label: 'edge mode, float64',
      inputs: [{ shape: [3, 4], dtype: 'float64' }],
      build: ([x]) => pad(x, [2, 0, 1, 3], { mode: 'edge' }),
      ref: ([x]) => padRef(x, [2, 0, 1, 3], 'edge'),
    },
    {
      label: 'reflect mode',
      inputs: [{ shape: [4, 5] }],
      build: ([x]) => pad(x, [3, 1, 0, 4], { mode: 'reflect' }),
      ref: ([x]) => padRef(x, [3, 1, 0, 4], 'reflect'),
    },
    {
      label: 'float16 with a non-zero value (through casts)',
      inputs: [{ shape: [2, 3], values: [0.5, -1, 2, 3.25, 0, 7] }],
      build: ([x]) => cast(pad(cast(x, 'float16'), [1, 0, 0, 2], { value: 1.5 }), 'float32'),
      ref: ([x]) => padRef(x, [1, 0, 0, 2], 'constant', 1.5),
    },
    {
      label: 'int64 data, opset 13',
      inputs: [{ shape: [3], dtype: 'int64', values: [4, 5, 6] }],
      opset: 13,
      build: ([x]) => pad(x, [2, -1], { value: 9 }),
      ref: ([x]) => padRef(x, [2, -1], 'constant', 9),
    },
  ],
  Expand: [
    {
      label: '(3, 1) → (2, 3, 5)',
      inputs: [{ shape: [3, 1] }],
      build: ([x]) => expandTo(x, [2, 3, 5]),
      ref: ([x]) => expandRef(x, [2, 3, 5]),
    },
    {
      label: 'a scalar, float64',
      inputs: [{ shape: [], dtype: 'float64' }],
      build: ([x]) => expandTo(x, [4, 1, 3]),
      ref: ([x]) => expandRef(x, [4, 1, 3]),
    },
    {
      label: '(2, 1, 5) → (2, 3, 5), the leading dim taken from x',
      inputs: [{ shape: [2, 1, 5] }],
      build: ([x]) => expandTo(x, [x.dims[0], 3, 5]),
      ref: ([x]) => expandRef(x, [x.shape[0], 3, 5]),
    },
    {
      label: '(1, 4) → (3, 2, 4), the leading dims taken from another input',
      inputs: [{ shape: [3, 2] }, { shape: [1, 4] }],
      build: ([x, y]) => expandTo(y, [...x.dims, 4]),
      ref: ([x, y]) => expandRef(y, [...x.shape, 4]),
    },
  ],
  Squeeze: [
    {
      label: 'axis 1 of (3, 1, 4)',
      inputs: [{ shape: [3, 1, 4] }],
      build: ([x]) => squeeze(x, [1]),
      ref: ([x]) => reshapeRef(x, [3, 4]),
    },
    {
      label: 'axes [0, -1]',
      inputs: [{ shape: [1, 3, 1, 5, 1] }],
      build: ([x]) => squeeze(x, [0, -1]),
      ref: ([x]) => reshapeRef(x, [3, 1, 5]),
    },
    {
      label: 'every length-1 axis, opset 13',
      inputs: [{ shape: [1, 3, 1, 5, 1] }],
      opset: 13,
      build: ([x]) => squeeze(x),
      ref: ([x]) => reshapeRef(x, [3, 5]),
    },
  ],
  Unsqueeze: [
    {
      label: 'axes [0, 3] of the output',
      inputs: [{ shape: [3, 5] }],
      build: ([x]) => unsqueeze(x, [0, 3]),
      ref: ([x]) => reshapeRef(x, [1, 3, 5, 1]),
    },
    {
      label: 'axis -1 of a scalar, int64',
      inputs: [{ shape: [], dtype: 'int64', values: [3] }],
      build: ([x]) => unsqueeze(x, [-1]),
      ref: ([x]) => reshapeRef(x, [1]),
    },
    {
      label: 'negative axes interleave, opset 21',
      inputs: [{ shape: [2, 3] }],
      opset: 21,
      build: ([x]) => unsqueeze(x, [-1, 1, -3]),
      ref: ([x]) => reshapeRef(x, [2, 1, 1, 3, 1]),
    },
  ],
};
