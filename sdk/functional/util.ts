/** Small helpers shared by the functional forms (not exported from F). */
import { BuildError } from '../errors';
import type { Tensor } from '../tensor';

/** PyTorch's _ntuple: a number repeated n times, or a tuple of exactly n numbers. */
export function ntuple(v: number | readonly number[], n: number, what: string): number[] {
  if (typeof v === 'number') return new Array(n).fill(v);
  if (v.length !== n) throw new Error(`${what} must be a number or ${n} numbers, got [${v}]`);
  return [...v];
}

/** Throws unless x is (N, C, ...spatial) with `s` spatial axes, in the caller's (PyTorch's) terms. */
export function expectSpatial(x: Tensor, s: number, op: string): void {
  if (x.rank !== s + 2) {
    const dims = ['N', 'C', ...['D', 'H', 'W'].slice(3 - s)].join(', ');
    throw new BuildError(op, x.graph.scope, `expects input (${dims}) of rank ${s + 2}, got ${x.type}`);
  }
}

export const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);

/** FNV-1a of a string, below 2^31: a module path's salt for random ops. */
export function stringSalt(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}
