/**
 * The fixture is the judge: ../shared/fixtures/gvsl-half-24x32x40 was made with an independent PyTorch GVSL.
 * Our exported graphs, run in onnxruntime-node, must reproduce its outputs, losses and gradients; the two Adam
 * steps after them (two more training steps at the fixture's size) are checked in test/e2e/gvsl-parity-adam.test.ts.
 */
import { buildGvslGraph, buildGvslTrainGraph, type GVSL } from '../../graphs/build';
import { exportModel } from '../../sdk/export';
import type { NamedArray, StateDict } from '../../sdk/state';
import { createSession, runSession } from '../../runtime/engine/ort';
import { relErr } from '../helpers/compare';
import { haveGvslFixture, loadGvslFixture, scalar } from '../helpers/gvsl-fixture';

const maybe = haveGvslFixture ? describe : describe.skip;

maybe('GVSL parity with the PyTorch fixture gvsl-half-24x32x40', () => {
  let weights: StateDict;
  let c: StateDict;
  let model: GVSL;
  let shape: [number, number, number, number, number];

  beforeAll(() => {
    ({ weights, c, model, shape } = loadGvslFixture());
  });

  test('state_dict keys and shapes match the PyTorch model', () => {
    const spec = model.paramSpecs();
    expect([...spec.keys()]).toEqual([...weights.keys()]);
    for (const [k, s] of spec) expect(weights.get(k)!.shape).toEqual(s.shape);
  });

  test('the gvsl inference graph reproduces res, warp, aff and flow to 1e-4', async () => {
    const g = buildGvslGraph(model, shape);
    const m = exportModel(g, { weights });
    const s = await createSession(m.model);
    const out = await runSession(s, { A: c.get('img_aug')!, B: c.get('img2')! });
    await s.release();
    expect(relErr(out.res_A, c.get('res')!)).toBeLessThan(1e-4);
    expect(relErr(out.aff_mat_BA, c.get('aff')!)).toBeLessThan(1e-4);
    expect(relErr(out.flow_BA, c.get('flow')!)).toBeLessThan(1e-4);
    expect(relErr(out.warp_BA, c.get('warp')!)).toBeLessThan(1e-4);
  });

  test('the training graph reproduces the losses and every gradient', async () => {
    const { graph, step } = buildGvslTrainGraph(model, shape, { withGrads: true });
    const s = await createSession(exportModel(graph, { params: 'inputs' }).model);
    const feeds: Record<string, NamedArray> = {
      img_aug: c.get('img_aug')!,
      img: c.get('img')!,
      img2: c.get('img2')!,
      lr: { dtype: 'float32', shape: [], data: Float32Array.of(1e-4) },
      step: { dtype: 'float32', shape: [], data: Float32Array.of(1) },
    };
    for (const [name, w] of weights) {
      feeds[name] = w;
      for (const st of step.stateNames.get(name) ?? [])
        feeds[st] = { dtype: 'float32', shape: [...w.shape], data: new Float32Array(w.data.length) };
    }
    const out = await runSession(s, feeds);
    await s.release();
    for (const [ours, theirs] of [
      ['loss', 'loss'],
      ['loss_ncc', 'ncc'],
      ['loss_mse', 'mse'],
      ['loss_smooth', 'smooth'],
    ]) {
      const want = scalar(c.get(theirs)!);
      expect(Math.abs(scalar(out[ours]) - want) / Math.abs(want)).toBeLessThan(1e-4);
    }
    const failures: string[] = [];
    for (const name of weights.keys()) {
      const gr = out[`grad.${name}`];
      let norm = 0;
      let proj = 0;
      for (let i = 0; i < gr.data.length; i++) {
        const v = Number(gr.data[i]);
        norm += v * v;
        proj += v * Math.sin(0.37 * i + 1.3);
      }
      norm = Math.sqrt(norm);
      const wantNorm = scalar(c.get(`grad_norm.${name}`)!);
      const wantProj = scalar(c.get(`grad_proj.${name}`)!);
      if (Math.abs(norm - wantNorm) > 1e-3 * wantNorm) failures.push(`${name}: grad norm ${norm} vs ${wantNorm}`);
      if (Math.abs(proj - wantProj) > 1e-3 * wantNorm * Math.sqrt(gr.data.length / 2))
        failures.push(`${name}: grad proj ${proj} vs ${wantProj}`);
      const full = c.get(`grad.${name}`);
      if (full && relErr(gr, full) > 1e-3) failures.push(`${name}: full gradient rel err ${relErr(gr, full)}`);
    }
    expect(failures).toEqual([]);
  });
});
