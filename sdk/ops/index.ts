// The DSL's op functions. Tensors positional, attributes in a trailing options object (their types are exported
// too, so that the API reference documents them).
export { abs } from './abs';
export { add } from './add';
export { logicalAnd } from './and';
export { argMax } from './arg-max';
export { avgPool } from './average-pool';
export { cast } from './cast';
export { clip, type ClipAttrs } from './clip';
export { concat } from './concat';
export { conv, type ConvOptions } from './conv';
export { cos } from './cos';
export { cumsum } from './cumsum';
export { div } from './div';
export { equal } from './equal';
export { erf } from './erf';
export { exp } from './exp';
export { expandTo } from './expand';
export { floor } from './floor';
export { gather, type GatherOptions, scatterAdd } from './gather';
export { gatherElements } from './gather-elements';
export { gatherND } from './gather-nd';
export { gemm, type GemmAttrs } from './gemm';
export { greater } from './greater';
export { hashUniform } from './hash-uniform';
export { identity } from './identity';
export type { Reduction } from './indexing';
export type { TensorLike } from './kit';
export { leakyRelu } from './leaky-relu';
export { less } from './less';
export { log } from './log';
export { logSoftmax } from './log-softmax';
export { matmul, mT } from './matmul';
export { maximum } from './max';
export { maxPool } from './max-pool';
export { standardize } from './standardize';
export { batchStandardize } from './batch-standardize';
export { minimum } from './min';
export { mul } from './mul';
export { neg } from './neg';
export { logicalNot } from './not';
export { pad } from './pad';
export type { PoolOptions } from './pool-kit';
export { pow, square } from './pow';
export { reduceMax } from './reduce-max';
export { mean, reduceMean } from './reduce-mean';
export { reduceMin } from './reduce-min';
export { countOver, reduceSum } from './reduce-sum';
export { REGISTRY } from './registry';
export { relu } from './relu';
export { reshape } from './reshape';
export {
  type CoordinateTransformationMode,
  type NearestMode,
  resize,
  type ResizeMode,
  type ResizeOptions,
} from './resize';
export { scatterElements } from './scatter-elements';
export { scatterND } from './scatter-nd';
export { sigmoid } from './sigmoid';
export { sign } from './sign';
export { sin } from './sin';
export { flip, slice, type SliceSpec } from './slice';
export { softmax } from './softmax';
export { split } from './split';
export { sqrt } from './sqrt';
export { squeeze } from './squeeze';
export { sub } from './sub';
export { tan } from './tan';
export { tanh } from './tanh';
export { transpose } from './transpose';
export { unbroadcast } from './unbroadcast';
export { unsqueeze } from './unsqueeze';
export { weightedGather } from './weighted-gather';
export { where } from './where';
