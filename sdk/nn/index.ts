export { Conv3d, type ConvOptions } from './conv';
export { GroupNorm } from './group-norm';
export * as init from './init';
export { LeakyReLU, MaxPool3d, Upsample } from './layers';
export { Linear } from './linear';
export { Module, type ParamSpec, Sequential } from './module';
export { Rng } from './rng';
export { ELU, GELU, Hardswish, LogSoftmax, Mish, PReLU, ReLU, Sigmoid, SiLU, Softmax, Tanh } from './activation';
export { type AttentionCallOptions, MultiheadAttention, type MultiheadAttentionOptions } from './attention';
export { Embedding, type EmbeddingOptions } from './embedding';
export { LayerNorm } from './layer-norm';
export {
  BCELoss, BCEWithLogitsLoss, CosineSimilarity, CrossEntropyLoss, DiceLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss,
} from './loss';
export { type EncoderCallOptions, TransformerEncoder, TransformerEncoderLayer, type TransformerEncoderLayerOptions } from './transformer';
