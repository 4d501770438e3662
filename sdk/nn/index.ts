export { Conv3d, type ConvOptions } from './conv';
export { GroupNorm } from './group-norm';
export * as init from './init';
export { LeakyReLU, MaxPool3d, Upsample } from './layers';
export { Linear } from './linear';
export { Module, type ParamSpec, Sequential } from './module';
export { Rng } from './rng';
