// torch.nn.functional in camelCase (exported from the package root as `F`). One export line per file.
export * from './activation';
export * from './cross-entropy';
export * from './embedding';
export * from './layer-norm';
export * from './linear';
export * from './loss';
export type { Reduction } from './reduction';
