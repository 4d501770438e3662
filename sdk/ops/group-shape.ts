import type { Primitive } from '../primitive';
import { Concat } from './concat';
import { Expand } from './expand';
import type { ShapePrim } from './names';
import { Pad } from './pad';
import { Reshape } from './reshape';
import { Slice } from './slice';
import { Split } from './split';
import { Squeeze } from './squeeze';
import { Transpose } from './transpose';
import { Unsqueeze } from './unsqueeze';

/** The shape primitives (layout only, no arithmetic), keyed by name; the compiler checks the set is complete. */
export const SHAPE: { [K in ShapePrim]: Primitive<any> } = {
  Reshape,
  Transpose,
  Slice,
  Concat,
  Split,
  Pad,
  Expand,
  Squeeze,
  Unsqueeze,
};
