/**
 * Every primitive of the DSL, by group. The registry (`registry.ts`) is typed by these unions, so adding a
 * name here without its definition, VJP and gradient-check row is a compile error.
 */
export const ELEMENTWISE_PRIMS = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Neg',
  'Pow',
  'Sqrt',
  'Exp',
  'Log',
  'Abs',
  'Sign',
  'Sin',
  'Cos',
  'Tan',
  'Tanh',
  'Floor',
  'Clip',
  'Max',
  'Min',
  'Where',
  'Equal',
  'Less',
  'Greater',
  'Not',
  'And',
  'Cast',
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Identity',
  'Erf',
] as const;
export const REDUCE_PRIMS = [
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ArgMax',
  'Softmax',
  'LogSoftmax',
  'CumSum',
] as const;
export const SHAPE_PRIMS = [
  'Reshape',
  'Transpose',
  'Slice',
  'Concat',
  'Split',
  'Pad',
  'Expand',
  'Squeeze',
  'Unsqueeze',
] as const;
export const INDEX_PRIMS = [
  'Gather',
  'GatherElements',
  'GatherND',
  'ScatterND',
  'ScatterElements',
  'WeightedGather',
] as const;
export const NN_PRIMS = [
  'MatMul',
  'Gemm',
  'Conv',
  'MaxPool',
  'AveragePool',
  'Resize',
  'Standardize',
  'BatchStandardize',
  'HashUniform',
] as const;

export type ElementwisePrim = (typeof ELEMENTWISE_PRIMS)[number];
export type ReducePrim = (typeof REDUCE_PRIMS)[number];
export type ShapePrim = (typeof SHAPE_PRIMS)[number];
export type IndexPrim = (typeof INDEX_PRIMS)[number];
export type NnPrim = (typeof NN_PRIMS)[number];
export type PrimName = ElementwisePrim | ReducePrim | ShapePrim | IndexPrim | NnPrim;

export const ALL_PRIMS: readonly PrimName[] = [
  ...ELEMENTWISE_PRIMS,
  ...REDUCE_PRIMS,
  ...SHAPE_PRIMS,
  ...INDEX_PRIMS,
  ...NN_PRIMS,
];
