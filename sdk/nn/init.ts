import type { TypedArray } from '../dtype';
import type { Rng } from './rng';

/** Fills a parameter of the given shape. `fanIn` is PyTorch's: shape[1] · prod(shape[2:]). */
export type Initializer = (rng: Rng, shape: readonly number[]) => TypedArray;

export function fanIn(shape: readonly number[]): number {
  if (shape.length < 2) throw new Error(`fan_in needs a weight of rank >= 2, got [${shape}]`);
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export const zeros: Initializer = (_rng, shape) => new Float32Array(size(shape));

export const ones: Initializer = (_rng, shape) => new Float32Array(size(shape)).fill(1);

export function constant(v: number): Initializer {
  return (_rng, shape) => new Float32Array(size(shape)).fill(v);
}

export function uniform(lo: number, hi: number): Initializer {
  return (rng, shape) => Float32Array.from({ length: size(shape) }, () => rng.uniform(lo, hi));
}

export function normal(std: number, mean = 0): Initializer {
  return (rng, shape) => Float32Array.from({ length: size(shape) }, () => mean + std * rng.normal());
}

/** PyTorch's gain for leaky_relu with negative slope `a` (a = 0 is relu): sqrt(2 / (1 + a²)). */
export function leakyReluGain(a: number): number {
  return Math.sqrt(2 / (1 + a * a));
}

/** fan_out of a Linear/Conv weight (out, in, k…): out·prod(k). */
export function fanOut(shape: readonly number[]): number {
  if (shape.length < 2) throw new Error(`fan_out needs a weight of rank >= 2, got [${shape}]`);
  return shape[0] * shape.slice(2).reduce((a, b) => a * b, 1);
}

/** torch.nn.init.kaiming_normal_(w, a, mode): N(0, gain/√fan), fan = fan_in (default) or fan_out. */
export function kaimingNormal(a = 0, mode: 'fan_in' | 'fan_out' = 'fan_in'): Initializer {
  return (rng, shape) =>
    normal(leakyReluGain(a) / Math.sqrt(mode === 'fan_in' ? fanIn(shape) : fanOut(shape)))(rng, shape);
}

/** torch.nn.init.kaiming_uniform_(w, a, mode='fan_in'): U(±gain·√(3/fan_in)). */
export function kaimingUniform(a = 0): Initializer {
  return (rng, shape) => {
    const bound = leakyReluGain(a) * Math.sqrt(3 / fanIn(shape));
    return uniform(-bound, bound)(rng, shape);
  };
}

/** PyTorch's default Conv/Linear weight init: kaiming_uniform_(a=√5), i.e. U(±1/√fan_in). */
export const torchDefaultWeight: Initializer = kaimingUniform(Math.sqrt(5));

/** PyTorch's default Conv/Linear bias init: U(±1/√fan_in) of the layer's weight. */
export function torchDefaultBias(weightShape: readonly number[]): Initializer {
  const bound = 1 / Math.sqrt(fanIn(weightShape));
  return uniform(-bound, bound);
}

/** torch.nn.init.xavier_uniform_(w, gain): U(±gain·√(6/(fan_in + fan_out))), fan_out = shape[0]·prod(shape[2:]). */
export function xavierUniform(gain = 1): Initializer {
  return (rng, shape) => {
    const bound = gain * Math.sqrt(6 / (fanIn(shape) + fanOut(shape)));
    return uniform(-bound, bound)(rng, shape);
  };
}
