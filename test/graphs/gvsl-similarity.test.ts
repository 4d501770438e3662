/**
 * GVSL's training graph with each registration similarity loss (tiny widths, 16³): it builds and names the term
 * by similarityTerm (loss_ncc for NCC, as before the option); with MI (the kind most unlike the default) one
 * step runs in onnxruntime-node and the loss is the weighted sum of the terms (each loss alone runs in
 * test/graphs/similarity.test.ts; one step per kind took ~11 s each here). The default graph is the explicit
 * `{ kind: 'ncc' }` one, node for node.
 */
import { buildGvslTrainGraph, GVSL, type VolumeShape } from '../../graphs/build';
import { SIMILARITIES, type SimilarityKind, similarityTerm } from '../../graphs/similarity';
import { parseWidths } from '../../graphs/unet';
import type { NamedArray } from '../../sdk/state';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';

const SHAPE: VolumeShape = [1, 1, 16, 16, 16];
const model = new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16'));
const weights = model.initStateDict(1);
const rng = new Rng(2);
const vol = (): NamedArray => ({
  dtype: 'float32',
  shape: [...SHAPE],
  data: Float32Array.from(rng.array(16 ** 3, 0, 1)),
});
const batch = { img_aug: vol(), img: vol(), img2: vol() };

test('the default training graph is the explicit local-NCC one', () => {
  const sig = (g: ReturnType<typeof buildGvslTrainGraph>['graph']) =>
    g.nodes.map((n) => `${n.op.name}${JSON.stringify(n.attrs)}`).join('\n');
  expect(sig(buildGvslTrainGraph(model, SHAPE).graph)).toBe(
    sig(buildGvslTrainGraph(model, SHAPE, { similarity: { kind: 'ncc', window: 9 } }).graph),
  );
});

test('every kind builds, with its term among the outputs and no loss_ncc unless it is NCC', () => {
  for (const kind of SIMILARITIES) {
    const { graph } = buildGvslTrainGraph(model, SHAPE, { similarity: { kind } });
    const names = [...graph.outputs.keys()].filter((k) => k.startsWith('loss'));
    expect(names.sort()).toEqual(['loss', 'loss_mse', 'loss_smooth', similarityTerm({ kind })].sort());
  }
});

for (const kind of ['mi'] as SimilarityKind[]) {
  test(`--similarity ${kind}: one step runs; loss = 0.5·${similarityTerm({ kind })} + loss_mse + loss_smooth`, async () => {
    const weightsOf = { ncc: 0.5, mse: 1, smooth: 1 };
    const { graph, step } = buildGvslTrainGraph(model, SHAPE, { similarity: { kind }, weights: weightsOf });
    const feeds: Record<string, NamedArray> = {
      ...batch,
      lr: { dtype: 'float32', shape: [], data: Float32Array.of(1e-3) },
      step: { dtype: 'float32', shape: [], data: Float32Array.of(1) },
    };
    for (const name of step.trained) {
      const w = weights.get(name)!;
      feeds[name] = w;
      for (const s of step.stateNames.get(name)!)
        feeds[s] = { dtype: 'float32', shape: w.shape, data: new Float32Array(w.data.length) };
    }
    const out = await runGraph(graph, feeds, { params: 'inputs' });
    const term = similarityTerm({ kind });
    const v = (k: string) => Number(out[k].data[0]);
    for (const k of ['loss', term, 'loss_mse', 'loss_smooth']) expect(Number.isFinite(v(k))).toBe(true);
    if (kind !== 'ncc') expect(out.loss_ncc).toBeUndefined();
    expect(v('loss')).toBeCloseTo(0.5 * v(term) + v('loss_mse') + v('loss_smooth'), 5);
  });
}
