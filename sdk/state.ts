import type { DType, TypedArray } from './dtype';

/** One named array: what a parameter, a checkpoint entry or a constant holds. */
export interface NamedArray {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** Parameters by state_dict key, in PyTorch's order. */
export type StateDict = Map<string, NamedArray>;
