// gvsl-onnx SDK: a typed graph-builder DSL that lowers to ONNX, with reverse-mode autodiff and in-graph optimizers.
export { grad, type GradOptions } from './autodiff';
export type { Dim } from './dim';
export { type DType, isFloat, numel, type TypedArray } from './dtype';
export { BuildError, ParameterError, ShapeError } from './errors';
export { DEFAULT_OPSET, exportModel, type ExportedModel, type ExportOptions, saveModel } from './export';
export * as F from './functional';
export { Graph } from './graph';
export * as nn from './nn';
export * as ops from './ops';
export { type OptimizerSpec, optimizerUpdate, stateSlots, type StepInputs } from './optim';
export type { NamedArray, StateDict } from './state';
export { Tensor } from './tensor';
export {
  buildApplyStep,
  buildGradientsStep,
  buildTrainStep,
  type FlatSlot,
  type GradientsStep,
  type TrainStep,
  type TrainStepOptions,
} from './train';
