import { add, div, mul, sqrt, sub, where, equal, pow } from './ops';
import type { Tensor } from './tensor';

/** Optimizer settings. Defaults are PyTorch's. */
export type OptimizerSpec =
  | { kind: 'adam'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  | { kind: 'adamw'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  | { kind: 'sgd'; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number };

/** The state slots an optimizer keeps per parameter, as name prefixes (`adam.m.` + param name). */
export function stateSlots(spec: OptimizerSpec): string[] {
  if (spec.kind === 'sgd') return (spec.momentum ?? 0) !== 0 ? ['sgd.momentum.'] : [];
  return [`${spec.kind}.m.`, `${spec.kind}.v.`];
}

/** Every state-name prefix any optimizer uses (to tell optimizer state from weights in a training checkpoint). */
export const OPTIMIZER_STATE_PREFIXES: readonly string[] = [
  { kind: 'adam' as const },
  { kind: 'adamw' as const },
  { kind: 'sgd' as const, momentum: 1 },
].flatMap(stateSlots);

/** Scalar inputs of an update: learning rate and the 1-based step count t (both float32 scalars). */
export interface StepInputs {
  lr: Tensor;
  step: Tensor;
}

/**
 * One optimizer update of parameter `p` with gradient `g`, built into the graph; `state` holds the
 * tensors named by `stateSlots`. Returns the new parameter and new state, in slot order.
 */
export function optimizerUpdate(
  spec: OptimizerSpec,
  p: Tensor,
  g: Tensor,
  state: Tensor[],
  { lr, step }: StepInputs,
): { p: Tensor; state: Tensor[] } {
  // torch.optim.AdamW's default weight_decay is 0.01; Adam's and SGD's are 0.
  const wd = spec.weightDecay ?? (spec.kind === 'adamw' ? 0.01 : 0);
  if (spec.kind === 'sgd') {
    const momentum = spec.momentum ?? 0;
    const dampening = spec.dampening ?? 0;
    let d = wd ? add(g, mul(p, wd)) : g;
    if (momentum === 0) return { p: sub(p, mul(d, lr)), state: [] };
    // PyTorch starts the buffer at the first gradient (no dampening on step 1).
    const buf = where(equal(step, 1), d, add(mul(state[0], momentum), mul(d, 1 - dampening)));
    d = spec.nesterov ? add(d, mul(buf, momentum)) : buf;
    return { p: sub(p, mul(d, lr)), state: [buf] };
  }
  const b1 = spec.beta1 ?? 0.9;
  const b2 = spec.beta2 ?? 0.999;
  const eps = spec.eps ?? 1e-8;
  let q = p;
  let grad = g;
  if (spec.kind === 'adamw') q = mul(p, sub(1, mul(lr, wd)));
  else if (wd) grad = add(g, mul(p, wd));
  const m = add(mul(state[0], b1), mul(grad, 1 - b1));
  const v = add(mul(state[1], b2), mul(mul(grad, grad), 1 - b2));
  // Exactly torch.optim.Adam: denom = sqrt(v)/sqrt(1−β2^t) + eps; p −= lr/(1−β1^t) · m/denom.
  const bc1 = sub(1, pow(p.graph.scalar(b1), step));
  const bc2 = sub(1, pow(p.graph.scalar(b2), step));
  const denom = add(div(sqrt(v), sqrt(bc2)), eps);
  const newP = sub(q, mul(div(lr, bc1), div(m, denom)));
  return { p: newP, state: [m, v] };
}
