export { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormOptions } from './batchnorm';
export { Flatten, Identity, ModuleDict, ModuleList } from './containers';
export {
  Conv1d,
  Conv2d,
  Conv3d,
  type ConvOptions,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvTransposeOptions,
} from './conv';
export { Dropout, Dropout1d, Dropout2d, Dropout3d } from './dropout';
export { GroupNorm } from './group-norm';
export * as init from './init';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from './instancenorm';
export { LeakyReLU, Upsample, type UpsampleOptions } from './layers';
export { Linear } from './linear';
export { Module, type ParamSpec, Sequential } from './module';
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  AdaptiveMaxPool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
} from './pooling';
export { Rng } from './rng';
export { ELU, GELU, Hardswish, LogSoftmax, Mish, PReLU, ReLU, Sigmoid, SiLU, Softmax, Tanh } from './activation';
export { type AttentionCallOptions, MultiheadAttention, type MultiheadAttentionOptions } from './attention';
export { Embedding, type EmbeddingOptions } from './embedding';
export { LayerNorm } from './layer-norm';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CosineSimilarity,
  CrossEntropyLoss,
  DiceLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
} from './loss';
export {
  type EncoderCallOptions,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
} from './transformer';
