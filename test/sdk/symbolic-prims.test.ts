/**
 * Every primitive case of the shared tables (test/cases), rebuilt with a symbolic batch axis: input 0's first
 * axis (and that of every input of exactly its shape) becomes 'N'. Where the case builds, the one exported
 * file runs in ORT at the case's own batch and at batch + 2, and must give what the static graph built at
 * that batch gives; gradients (of ½Σy²) likewise. Cases that refuse a symbolic batch must do so with a
 * BuildError, and only for the primitives listed in STATIC_ONLY.
 */
import { grad } from '../../sdk/autodiff';
import type { DType } from '../../sdk/dtype';
import { BuildError, ShapeError } from '../../sdk/errors';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import { mul, reduceSum } from '../../sdk/ops';
import { ALL_PRIMS, NN_PRIMS, type NnPrim, type PrimName } from '../../sdk/ops/names';
import type { NamedArray } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { createSession, runSession } from '../../runtime/engine/ort';
import { ALL_GRAD_CASES, ALL_PRIM_CASES } from '../cases/all';
import { type InputSpec, makeInput } from '../helpers/gradcheck';
import { checkRecordedModels, haveOnnxChecker, recordModel } from '../helpers/onnx-checker';
import { Rng } from '../helpers/rng';

/** Primitives whose shape rules still need every dim static (indexing by data-dependent positions). */
const STATIC_ONLY: readonly PrimName[] = ['GatherElements', 'GatherND', 'ScatterElements', 'WeightedGather'];

interface Case {
  inputs: InputSpec[];
  build: (xs: Tensor[]) => Tensor | Tensor[];
  dtype?: DType;
  tol?: number;
  opset?: number;
}

/**
 * Which inputs get the symbolic batch: input 0, and every input of its rank and leading dim (for the NN
 * primitives only input 0, the data: their other inputs are weights).
 */
const symbolicInputs = (c: Case, p: PrimName): boolean[] => {
  const [a] = c.inputs;
  return c.inputs.map(
    (s, i) =>
      i === 0 || (!NN_PRIMS.includes(p as NnPrim) && s.shape.length === a.shape.length && s.shape[0] === a.shape[0]),
  );
};

function withBatch(c: Case, p: PrimName, b: number): InputSpec[] {
  const sym = symbolicInputs(c, p);
  return c.inputs.map((s, i) => (sym[i] ? { ...s, shape: [b, ...s.shape.slice(1)], values: undefined } : s));
}

/** Builds the case (symbolic batch or static inputs); with `withGrads`, outputs are the gradients of ½Σy². */
function buildCase(c: Case, p: PrimName, specs: InputSpec[], symbolic: boolean, withGrads: boolean): Graph {
  const g = new Graph('sym');
  const sym = symbolicInputs(c, p);
  const xs = specs.map((s, i) =>
    g.input(`x${i}`, s.dtype ?? c.dtype ?? 'float32', symbolic && sym[i] ? ['N', ...s.shape.slice(1)] : s.shape),
  );
  const built = c.build(xs);
  const ys = Array.isArray(built) ? built : [built];
  if (!withGrads) {
    ys.forEach((y, i) => g.output(`y${i}`, y));
    return g;
  }
  const wrt = xs.filter((x, i) => (specs[i].diff ?? true) && (x.dtype === 'float32' || x.dtype === 'float64'));
  const y = ys[0];
  const loss = reduceSum(
    mul(y, y),
    y.dims.map((_, i) => i),
  );
  grad(loss, wrt).forEach((d, i) => g.output(`g${i}`, d));
  return g;
}

async function run(
  g: Graph,
  feedsBySize: Record<string, NamedArray>[],
  opset?: number,
): Promise<Record<string, NamedArray>[]> {
  const m = exportModel(g, { opset });
  recordModel(`sym:${g.name}`, m.model);
  const s = await createSession(m.model, { threads: 1, graphOptimizationLevel: 'basic' });
  try {
    const out = [];
    for (const f of feedsBySize) out.push(await runSession(s, f));
    return out;
  } finally {
    await s.release();
  }
}

function expectClose(got: NamedArray, want: NamedArray, tol: number, what: string): void {
  expect({ what, shape: got.shape }).toEqual({ what, shape: want.shape });
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const a = Number(got.data[i]);
    const b = Number(want.data[i]);
    worst = Math.max(worst, Math.abs(a - b) / (tol + tol * Math.abs(b)));
  }
  if (worst > 1)
    throw new Error(`${what}: symbolic and static graphs differ by ${worst.toFixed(2)}× the tolerance ${tol}`);
}

type Outcome = 'ok' | 'refused';
const refusals: string[] = [];

async function checkCase(c: Case & { label?: string }, p: PrimName, withGrads: boolean): Promise<Outcome> {
  const b0 = c.inputs[0].shape[0];
  let sym: Graph;
  try {
    sym = buildCase(c, p, c.inputs, true, withGrads);
  } catch (e) {
    // A refusal must be a build-time error that says the dims are symbolic or do not match.
    if (!(e instanceof BuildError || e instanceof ShapeError)) throw e;
    expect(e.message).toMatch(/symbolic|static|broadcast|differ|match|N/);
    refusals.push(`${p}${withGrads ? ' (grad)' : ''} ${c.label ?? ''}: ${e.message}`);
    return 'refused';
  }
  // Batches: the case's own and b0 + 2 (when the static case can be built there too).
  const rng = new Rng(5);
  const sizes: { specs: InputSpec[]; feeds: Record<string, NamedArray> }[] = [];
  for (const b of [b0, b0 + 2]) {
    const specs = b === b0 ? c.inputs : withBatch(c, p, b);
    if (b !== b0 && c.inputs.some((s, i) => symbolicInputs(c, p)[i] && s.values)) continue;
    sizes.push({
      specs,
      feeds: Object.fromEntries(specs.map((s, i) => [`x${i}`, makeInput(s, s.dtype ?? c.dtype ?? 'float32', rng)])),
    });
  }
  const symOut = await run(
    sym,
    sizes.map((s) => s.feeds),
    c.opset,
  );
  let compared = 0;
  for (let k = 0; k < sizes.length; k++) {
    let stat: Graph;
    try {
      stat = buildCase(c, p, sizes[k].specs, false, withGrads);
    } catch {
      continue; // the case's build bakes its batch (e.g. an explicit reshape target)
    }
    const [want] = await run(stat, [sizes[k].feeds], c.opset);
    for (const name of Object.keys(want))
      expectClose(symOut[k][name], want[name], c.tol ?? 1e-6, `${name} at batch ${sizes[k].specs[0].shape[0]}`);
    compared++;
  }
  expect(compared).toBeGreaterThan(0);
  return 'ok';
}

const results = new Map<PrimName, Outcome[]>();
const note = (p: PrimName, o: Outcome) => results.set(p, [...(results.get(p) ?? []), o]);
/** A leading axis of length 1 in a case is there to be squeezed or broadcast: not a batch. */
const hasBatch = (c: Case) => c.inputs[0].shape.length > 0 && c.inputs[0].shape[0] > 1;

describe('forward rows with a symbolic batch', () => {
  test.each(ALL_PRIMS.map((p) => [p]))('%s', async (p) => {
    for (const c of ALL_PRIM_CASES[p].filter(hasBatch)) note(p, await checkCase(c, p, false));
  });
});

describe('gradient rows with a symbolic batch', () => {
  test.each(ALL_PRIMS.map((p) => [p]))('%s', async (p) => {
    for (const c of ALL_GRAD_CASES[p].filter(hasBatch)) note(p, await checkCase(c, p, true));
  });
});

test('every primitive but the static-only ones runs with a symbolic batch', () => {
  const none = ALL_PRIMS.filter((p) => !(results.get(p) ?? []).includes('ok'));
  if (process.env.SYMBOLIC_REFUSALS) console.log(refusals.join('\n'));
  expect(none).toEqual(STATIC_ONLY);
});

test('the exported symbolic models pass ONNX full check', () => {
  if (!haveOnnxChecker()) return;
  expect(checkRecordedModels()).toEqual([]);
});
