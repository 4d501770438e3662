/**
 * The per-group case tables merged into one table per kind, keyed by every primitive name: the mapped type
 * makes a primitive added to `sdk/ops/names.ts` without forward and gradient rows a compile error.
 */
import type { PrimName } from '../../sdk/ops/names';
import type { GradCase } from '../helpers/gradcheck';
import type { PrimCase } from '../helpers/primcheck';
import { ELEMENTWISE_GRAD_CASES } from './elementwise.grad';
import { ELEMENTWISE_PRIM_CASES } from './elementwise.prim';
import { INDEX_GRAD_CASES } from './index.grad';
import { INDEX_PRIM_CASES } from './index.prim';
import { NN_GRAD_CASES } from './nn.grad';
import { NN_PRIM_CASES } from './nn.prim';
import { REDUCE_GRAD_CASES } from './reduce.grad';
import { REDUCE_PRIM_CASES } from './reduce.prim';
import { SHAPE_GRAD_CASES } from './shape.grad';
import { SHAPE_PRIM_CASES } from './shape.prim';

export const ALL_PRIM_CASES: { readonly [K in PrimName]: PrimCase[] } = {
  ...ELEMENTWISE_PRIM_CASES,
  ...REDUCE_PRIM_CASES,
  ...SHAPE_PRIM_CASES,
  ...INDEX_PRIM_CASES,
  ...NN_PRIM_CASES,
};

export const ALL_GRAD_CASES: { readonly [K in PrimName]: GradCase[] } = {
  ...ELEMENTWISE_GRAD_CASES,
  ...REDUCE_GRAD_CASES,
  ...SHAPE_GRAD_CASES,
  ...INDEX_GRAD_CASES,
  ...NN_GRAD_CASES,
};
