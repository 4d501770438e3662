// torch.nn.functional in camelCase. One export line per file, so that other files can be appended.
export * from './conv';
export * from './dropout';
export * from './interpolate';
export * from './misc';
export * from './normalization';
export * from './pad';
export * from './pooling';
