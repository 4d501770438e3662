/**
 * The registry and the case tables cover every primitive: one definition with a VJP, at least one forward row
 * and at least one gradient row each, and every gradient row applies the primitive it is filed under.
 */
import type { DType } from '../../sdk/dtype';
import { Graph } from '../../sdk/graph';
import { ALL_PRIMS, type PrimName } from '../../sdk/ops/names';
import { REGISTRY } from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';
import { ALL_GRAD_CASES, ALL_PRIM_CASES } from '../cases/all';
import type { InputSpec } from '../helpers/gradcheck';

/** The primitives a case's build function applies, on inputs of the case's dtypes. */
function primsBuilt(inputs: InputSpec[], build: (xs: Tensor[]) => Tensor | Tensor[], dtype: DType): Set<PrimName> {
  const g = new Graph('probe');
  build(inputs.map((s, i) => g.input(`x${i}`, s.dtype ?? dtype, s.shape)));
  return new Set(g.nodes.map((n) => n.prim));
}

test('ALL_PRIMS lists each primitive once and the registry holds exactly those', () => {
  expect(new Set(ALL_PRIMS).size).toBe(ALL_PRIMS.length);
  expect(Object.keys(REGISTRY).sort()).toEqual([...ALL_PRIMS].sort());
});

test.each(ALL_PRIMS.map((p) => [p]))(
  '%s: registered under its own name, with a VJP and forward and gradient rows',
  (p) => {
    const prim = REGISTRY[p];
    expect(prim.name).toBe(p);
    expect(typeof prim.vjp).toBe('function');
    expect(typeof prim.infer).toBe('function');
    expect(typeof prim.lower).toBe('function');
    expect(ALL_PRIM_CASES[p].length).toBeGreaterThan(0);
    expect(ALL_GRAD_CASES[p].length).toBeGreaterThan(0);
  },
);

/**
 * Gradient rows only: a few forward rows deliberately test a primitive's helpers (scatterAdd, the adjoint
 * filed under Gather; Resize's matrix form used by its VJP), which build other primitives.
 */
test('every gradient row differentiates the primitive it is filed under', () => {
  const missing: string[] = [];
  for (const p of ALL_PRIMS) {
    for (const c of ALL_GRAD_CASES[p]) {
      if (!primsBuilt(c.inputs, c.build, c.dtype ?? 'float64').has(p)) missing.push(`${p}: ${c.label ?? ''}`);
    }
  }
  expect(missing).toEqual([]);
});
