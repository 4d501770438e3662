import type { Primitive } from '../primitive';
import { AveragePool } from './average-pool';
import { BatchStandardize } from './batch-standardize';
import { Conv } from './conv';
import { Gemm } from './gemm';
import { HashUniform } from './hash-uniform';
import { MatMul } from './matmul';
import { MaxPool } from './max-pool';
import type { NnPrim } from './names';
import { Resize } from './resize';
import { Standardize } from './standardize';

/** The NN group of primitives, keyed by name (the compiler checks that every NnPrim is here). */
export const NN: { [K in NnPrim]: Primitive<any> } = {
  MatMul,
  Gemm,
  Conv,
  MaxPool,
  AveragePool,
  Resize,
  Standardize,
  BatchStandardize,
  HashUniform,
};
