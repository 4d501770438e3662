/**
 * gvsl-onnx/train: the public training API. Build a model's training-step and eval graphs with
 * {@link buildTraining}, run them with a {@link Trainer} (any execution provider, optionally in a worker
 * thread), schedule the learning rate with {@link schedules}, and save and resume checkpoints.
 * @packageDocumentation
 * @module gvsl-onnx/train
 */
export {
  buildTraining,
  DROPOUT_SEED,
  type InputSpec,
  programFromStepGraph,
  type StepGraphOptions,
  type LossContext,
  type LossResult,
  type TrainingProgram,
  type TrainingSpec,
} from './program';
export * as schedules from './schedules';
export type { Schedule } from './schedules';
export { type EvalResult, Trainer, type TrainerCheckpointConfig, type TrainerOptions } from './trainer';
export type { OptimizerSpec } from '../../sdk/optim';
export { EXECUTION_PROVIDERS, type ExecutionProvider, type SessionOptions } from './ort';
