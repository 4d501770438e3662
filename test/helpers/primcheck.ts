import { Graph } from '../../sdk/graph';
import type { NamedArray } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { ND } from '../ref/nd';
import { type InputSpec, makeInput } from './gradcheck';
import { Rng } from './rng';
import { runGraph } from './run';

/** One row of a primitive's forward table: ORT's output must equal the plain-TypeScript reference. */
export interface PrimCase {
  label?: string;
  /** Inputs (dtype default float32). */
  inputs: InputSpec[];
  build: (xs: Tensor[]) => Tensor | Tensor[];
  /** The independent reference, in float64 on ND arrays. */
  ref: (xs: ND[]) => ND | ND[];
  /** Absolute + relative tolerance (default 1e-5). */
  tol?: number;
  opset?: number;
}

export function toND(a: NamedArray): ND {
  return ND.from(a.shape, a.data as ArrayLike<number>);
}

/** Runs one case; throws with a readable message on any mismatch. */
export async function primCheck(c: PrimCase, seed = 3): Promise<void> {
  const rng = new Rng(seed);
  const g = new Graph('prim');
  const specs = c.inputs.map((s) => ({ ...s, dtype: s.dtype ?? 'float32' }));
  const xs = specs.map((s, i) => g.input(`x${i}`, s.dtype, s.shape));
  const built = c.build(xs);
  const outs = Array.isArray(built) ? built : [built];
  outs.forEach((t, i) => g.output(`y${i}`, t));
  const feeds = specs.map((s) => makeInput(s, s.dtype, rng));
  const got = await runGraph(g, Object.fromEntries(feeds.map((f, i) => [`x${i}`, f])), { opset: c.opset });
  const want = c.ref(feeds.map(toND));
  const wants = Array.isArray(want) ? want : [want];
  const tol = c.tol ?? 1e-5;
  outs.forEach((t, i) => {
    const y = got[`y${i}`];
    const label = `${c.label ?? ''} output ${i}`;
    if (y.shape.join() !== t.shape.join())
      throw new Error(`${label}: ORT shape [${y.shape}] != DSL shape [${t.shape}]`);
    if (y.shape.join() !== wants[i].shape.join())
      throw new Error(`${label}: ORT shape [${y.shape}] != reference [${wants[i].shape}]`);
    for (let k = 0; k < wants[i].size; k++) {
      const a = Number(y.data[k]);
      const b = wants[i].data[k];
      if (!(Math.abs(a - b) <= tol * (1 + Math.abs(b)))) {
        throw new Error(`${label}: element ${k}: ORT ${a} vs reference ${b} (tol ${tol})`);
      }
    }
  });
}
