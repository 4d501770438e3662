import { BuildError } from '../errors';
import type { Graph } from '../graph';
import { hashUniform, less, mul, where } from '../ops';
import type { Tensor } from '../tensor';
import { stringSalt } from './util';

export interface DropoutArgs {
  /** Default: the graph's `dropout_seed` input (docs/nn.md). */
  seed?: Tensor;
  /** Default: a hash of the module path and of how many random ops were built there before. */
  salt?: number;
}

const calls = new WeakMap<Graph, Map<string, number>>();

function defaultSalt(g: Graph): number {
  const m = calls.get(g) ?? new Map<string, number>();
  calls.set(g, m);
  const n = m.get(g.scope) ?? 0;
  m.set(g.scope, n + 1);
  return stringSalt(`${g.scope}#${n}`);
}

function dropoutMask(x: Tensor, p: number, keepAxes: number, op: string, a: DropoutArgs): Tensor {
  if (!(p >= 0 && p <= 1))
    throw new BuildError(op, x.graph.scope, `dropout probability has to be between 0 and 1, but got ${p}`);
  const u = hashUniform(x, a.seed ?? x.graph.dropoutSeed(), { salt: a.salt ?? defaultSalt(x.graph), keepAxes });
  return mul(x, where(less(u, p), 0, 1 / (1 - p)));
}

/**
 * torch.nn.functional.dropout: in training, each element is zeroed with probability p and the rest scaled by
 * 1/(1−p); the mask is HashUniform of the `dropout_seed` input (same on every EP, reproducible); identity
 * when not training or p = 0.
 */
export function dropout(x: Tensor, p = 0.5, training = true, a: DropoutArgs = {}): Tensor {
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  return dropoutMask(x, p, x.rank, 'dropout', a);
}

function channelDropout(op: string, ranks: number[], x: Tensor, p: number, training: boolean, a: DropoutArgs): Tensor {
  if (!ranks.includes(x.rank))
    throw new BuildError(op, x.graph.scope, `expects a (N, C, ...) input of rank ${ranks.join(' or ')}, got ${x.type}`);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  return dropoutMask(x, p, 2, op, a);
}

/** torch.nn.functional.dropout1d: whole channels of (N, C, L) zeroed with probability p. */
export const dropout1d = (x: Tensor, p = 0.5, training = true, a: DropoutArgs = {}): Tensor =>
  channelDropout('dropout1d', [3], x, p, training, a);
/** torch.nn.functional.dropout2d: whole channels of (N, C, H, W) zeroed with probability p. */
export const dropout2d = (x: Tensor, p = 0.5, training = true, a: DropoutArgs = {}): Tensor =>
  channelDropout('dropout2d', [4], x, p, training, a);
/** torch.nn.functional.dropout3d: whole channels of (N, C, D, H, W) zeroed with probability p. */
export const dropout3d = (x: Tensor, p = 0.5, training = true, a: DropoutArgs = {}): Tensor =>
  channelDropout('dropout3d', [5], x, p, training, a);
