// torch.nn.functional in camelCase (exported from the package root as `F`). One export line per file, so that
// other files can be appended.
export * from './activation';
export * from './attention';
export * from './conv';
export * from './cross-entropy';
export * from './dropout';
export * from './embedding';
export * from './interpolate';
export * from './layer-norm';
export * from './linear';
export * from './loss';
export * from './misc';
export * from './normalization';
export * from './pad';
export * from './pooling';
export type { Reduction } from './reduction';
