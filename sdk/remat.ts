/**
 * Recomputation ("rematerialisation") of cheap forward tensors in the backward pass. A tensor declared
 * recomputable is not kept from the forward until its use in the backward: each VJP that needs it gets a copy
 * rebuilt from `inputs` (themselves recomputed when they are recomputable too), built once per `grad` call.
 *
 * Two things make ONNX Runtime honour it. Order: ORT runs nodes in a depth-first order from the outputs that
 * would compute a copy whose inputs are all forward tensors as soon as it can, i.e. early, keeping it alive as
 * long as the original. So every copy also takes an exact zero computed from the cotangent of the node that
 * needs it (a one-element Slice of dy, then Where(dy₀ = dy₀, 0, 0), which is 0 even for NaN or ±∞): the copy
 * cannot run before that cotangent exists. CSE: the zero is added to a small operand (a per-channel scale, or
 * the low-resolution input of an upsampling), so no node of the copy equals a forward node, and ORT's common
 * subexpression elimination cannot merge the copy back into the forward.
 */
import { equal, reshape, slice, where } from './ops';
import type { Tensor } from './tensor';

export interface Recompute {
  inputs: readonly Tensor[];
  /** Builds the tensor again from `inputs`; `zero` (a scalar exactly 0) must enter a cheap operand. */
  build: (inputs: Tensor[], zero: Tensor) => Tensor;
}

const specs = new WeakMap<Tensor, Recompute>();

/** Declares that `t` may be rebuilt in the backward pass instead of being kept. Returns `t`. */
export function recomputable(t: Tensor, inputs: readonly Tensor[], build: Recompute['build']): Tensor {
  specs.set(t, { inputs, build });
  return t;
}

export const isRecomputable = (t: Tensor): boolean => specs.has(t);

/** An exact scalar zero that depends on `dy` (so that whatever uses it runs after `dy` exists). */
export function zeroAfter(dy: Tensor): Tensor {
  const first = reshape(slice(reshape(dy, [-1]), { axes: [0], starts: [0], ends: [1] }), []);
  const z = dy.graph.scalar(0, dy.dtype);
  return where(equal(first, first), z, z);
}

/** Per `grad` call: recomputed copies, built on first use after the cotangent `dy`. */
export class Rematerializer {
  private readonly copies = new Map<number, Tensor>();
  /** One barrier zero per cotangent, shared by every copy (and every copy's inputs) built after it. */
  private readonly zeros = new Map<number, Tensor>();

  use(t: Tensor, dy: () => Tensor): Tensor {
    const spec = specs.get(t);
    if (!spec) return t;
    let c = this.copies.get(t.id);
    if (!c) {
      const d = dy();
      let zero = this.zeros.get(d.id);
      if (!zero) this.zeros.set(d.id, (zero = zeroAfter(d)));
      c = spec.build(
        spec.inputs.map((i) => this.use(i, dy)),
        zero,
      );
      if (c.dims.join() !== t.dims.join() || c.dtype !== t.dtype) {
        throw new Error(`recomputed ${c.type} for ${t.name} ${t.type}`);
      }
      this.copies.set(t.id, c);
    }
    return c;
  }
}
