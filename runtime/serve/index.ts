/**
 * Serving GVSL models from Node: load an exported model or a checkpoint, then `register`, `features` and
 * `segment` on volumes with their affines (NIfTI in, NIfTI out). The browser app (examples/browser) runs the
 * same pipeline (pipeline.ts, grid.ts, mapping.ts: no Node imports) with onnxruntime-web.
 */
export { centredGrid, fitSpacing, resampleOnto, type GridFit, type VectorVolume } from './grid';
export {
  convertToFloat16,
  FLOAT16_MODULES,
  FLOAT16_OPS,
  GVSL_FLOAT16,
  type Float16Options,
  type Float16Report,
  formatFloat16Report,
  toFloat16,
} from './fp16';
export { affineVoxelMap, displacementField, type Geometry, warpThroughField, worldAffine } from './mapping';
export {
  checkLabelMap,
  globalNcc,
  jacobianDeterminant,
  labelDice,
  localNcc,
  metricsLines,
  modelIdentityField,
  registrationMetrics,
  summarizeJacobian,
  warpLabels,
  type DiceSummary,
  type JacobianSummary,
  type LabelDice,
  type RegistrationMetrics,
  type Similarity,
} from './metrics';
export {
  GvslModel,
  loadModel,
  type FeaturesResult,
  type LoadOptions,
  type RegisterOptions,
  type Timings,
} from './model';
export {
  encodeOnnx,
  initializerArrays,
  ioInfo,
  readOnnx,
  saveOnnx,
  type EncodedOnnx,
  type IoInfo,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from '../engine/onnx-file';
export {
  finishRegistration,
  magnitude,
  prepareVolumes,
  type Fit,
  type GridSpec,
  type OutputArray,
  type Prepared,
  type PrepareOptions,
  type RegistrationResult,
} from './pipeline';
export {
  openSource,
  widthsFromWeights,
  type GraphKind,
  type ModelSource,
  type OnnxGraph,
  type SourceOptions,
} from './source';
export { writeLabelMap, writeRegistration, type WrittenFiles } from './write';
