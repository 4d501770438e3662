import type { Primitive } from '../primitive';
import { ArgMax } from './arg-max';
import { CumSum } from './cumsum';
import type { ReducePrim } from './names';
import { ReduceMax } from './reduce-max';
import { ReduceMean } from './reduce-mean';
import { ReduceMin } from './reduce-min';
import { ReduceSum } from './reduce-sum';
import { Softmax } from './softmax';
import { LogSoftmax } from './log-softmax';

/** The reduction primitives (and the axis-wise Softmax and CumSum), keyed by name; the compiler checks the set is complete. */
export const REDUCE: { [K in ReducePrim]: Primitive<any> } = {
  ReduceSum,
  ReduceMean,
  ReduceMax,
  ReduceMin,
  ArgMax,
  Softmax,
  LogSoftmax,
  CumSum,
};
