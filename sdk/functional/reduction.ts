import { BuildError } from '../errors';
import { mean, reduceSum } from '../ops';
import type { Tensor } from '../tensor';

/** How a loss combines its per-element values, as PyTorch's `reduction` argument. */
export type Reduction = 'none' | 'mean' | 'sum';

export const allAxes = (t: Tensor): number[] => t.dims.map((_, i) => i);

/** Sum of every element (a scalar). */
export function sumAll(t: Tensor): Tensor {
  return reduceSum(t, allAxes(t));
}

/** Applies `reduction` to per-element losses. */
export function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sumAll(loss);
  throw new BuildError(op, loss.graph.scope, `reduction must be 'none', 'mean' or 'sum', got '${reduction as string}'`);
}

/** Input and target of an elementwise loss must have one shape (PyTorch only warns, then broadcasts). */
export function sameShape(op: string, input: Tensor, target: Tensor): void {
  if (input.dims.join() !== target.dims.join()) {
    throw new BuildError(
      op,
      input.graph.scope,
      `input of shape [${input.dims.join(', ')}] and target of shape [${target.dims.join(', ')}] differ; reshape the target to the input's shape`,
    );
  }
}
