import type { Primitive } from '../primitive';
import { Gather } from './gather';
import { GatherElements } from './gather-elements';
import { GatherND } from './gather-nd';
import type { IndexPrim } from './names';
import { ScatterElements } from './scatter-elements';
import { ScatterND } from './scatter-nd';
import { WeightedGather } from './weighted-gather';

/** The index primitives (gathers and scatters), keyed by name; the compiler checks the set is complete. */
export const INDEX: { [K in IndexPrim]: Primitive<any> } = {
  Gather,
  GatherElements,
  GatherND,
  ScatterND,
  ScatterElements,
  WeightedGather,
};
