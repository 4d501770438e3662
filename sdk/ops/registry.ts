import type { Primitive } from '../primitive';
import { ELEMENTWISE } from './group-elementwise';
import { INDEX } from './group-index';
import { NN } from './group-nn';
import { REDUCE } from './group-reduce';
import { SHAPE } from './group-shape';
import type { PrimName } from './names';

/**
 * Every primitive of the DSL, keyed by name. The type is a mapped type over `PrimName`, so a name added to
 * `names.ts` without its definition (or a misspelt key) is a compile error, not a runtime surprise.
 */
export const REGISTRY: { readonly [K in PrimName]: Primitive<any> } = {
  ...ELEMENTWISE,
  ...REDUCE,
  ...SHAPE,
  ...INDEX,
  ...NN,
};
