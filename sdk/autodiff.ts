import { isFloat } from './dtype';
import { BuildError } from './errors';
import { liveNodes } from './graph';
import { add, expandTo } from './ops';
import { Rematerializer } from './remat';
import type { Tensor } from './tensor';

export interface GradOptions {
  /** Cotangent of `y` (default: ones, which needs `y` to be a scalar). */
  seed?: Tensor;
}

/**
 * Reverse-mode autodiff: the gradients of `y` with respect to each of `wrt`, built as new nodes of the same
 * graph by walking the nodes between them in reverse topological order and applying each primitive's VJP.
 * A `wrt` tensor that does not influence `y` gets a zero gradient.
 */
export function grad(y: Tensor, wrt: readonly Tensor[], { seed }: GradOptions = {}): Tensor[] {
  const g = y.graph;
  if (!seed && !y.dims.every((d) => d === 1)) {
    throw new BuildError('grad', g.scope, `y must be a scalar (got ${y.type}) or a seed cotangent must be given`);
  }
  if (seed && seed.dims.join() !== y.dims.join()) {
    throw new BuildError('grad', g.scope, `seed ${seed.type} does not match y ${y.type}`);
  }
  // Nodes that depend on some `wrt` and contribute to `y`.
  const depends = new Set<number>(wrt.map((t) => t.id));
  const nodes = liveNodes(g, [y]).filter((n) => {
    const d = n.inputs.some((x) => x && depends.has(x.id));
    if (d) for (const o of n.outputs) depends.add(o.id);
    return d;
  });

  const cot = new Map<number, Tensor>();
  const remat = new Rematerializer();
  cot.set(y.id, seed ?? g.withScope('grad', () => expandTo(g.scalar(1, y.dtype), y.dims)));
  for (const node of nodes.reverse()) {
    const dys = node.outputs.map((o) => cot.get(o.id) ?? null);
    if (dys.every((d) => d === null)) continue;
    const wanted = node.inputs.map(
      (x, i) => !!x && depends.has(x.id) && isFloat(x.dtype) && !node.op.nondiff?.includes(i),
    );
    if (!wanted.some(Boolean)) continue;
    if (!node.op.vjp)
      throw new BuildError(node.prim, node.path, 'has no gradient rule (VJP); it cannot be differentiated');
    let dxs: (Tensor | null)[];
    try {
      dxs = g.withScope(node.path ? `grad.${node.path}` : 'grad', () => {
        // Recomputable forward tensors (sdk/remat.ts) reach the VJP as copies rebuilt after this node's dy.
        const dy = () => dys.find((d): d is Tensor => d !== null)!;
        const inputs = node.inputs.map((x) => (x ? remat.use(x, dy) : x));
        const outputs = node.outputs.map((o) => remat.use(o, dy));
        return node.op.vjp(dys, { inputs, outputs, attrs: node.attrs, node });
      });
    } catch (e) {
      if (e instanceof BuildError && e.op === node.prim && e.path === node.path) throw e;
      throw new BuildError(node.prim, node.path, `while building its gradient: ${(e as Error).message}`);
    }
    node.inputs.forEach((x, i) => {
      const dx = dxs[i];
      if (!x || !wanted[i] || !dx) return;
      if (dx.dims.join() !== x.dims.join() || dx.dtype !== x.dtype) {
        throw new BuildError(
          node.prim,
          node.path,
          `VJP returned ${dx.type} for input ${node.op.inputs[i] ?? i} of type ${x.type}`,
        );
      }
      const old = cot.get(x.id);
      cot.set(x.id, old ? g.withScope(`grad.${x.name}`, () => add(old, dx)) : dx);
    });
  }
  return wrt.map((w) => cot.get(w.id) ?? g.withScope('grad', () => expandTo(g.scalar(0, w.dtype), w.dims)));
}
