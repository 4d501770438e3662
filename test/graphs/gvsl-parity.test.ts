/**
 * The fixture is the judge: ../shared/fixtures/gvsl-half-24x32x40 was made with an independent PyTorch GVSL.
 * Our exported graphs, run in onnxruntime-node, must reproduce its outputs, losses, gradients and Adam steps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGvslGraph, buildGvslTrainGraph, GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { loadSafetensors } from '../../runtime/checkpoint/safetensors';
import { TrainingSession } from '../../runtime/engine/session';
import { exportModel } from '../../sdk/export';
import type { NamedArray, StateDict } from '../../sdk/state';
import { createSession, runSession } from '../../runtime/engine/ort';
import { relErr } from '../helpers/compare';
import { SHARED } from '../helpers/paths';

const FIXTURE = path.join(SHARED, 'fixtures', 'gvsl-half-24x32x40');
const have = fs.existsSync(path.join(FIXTURE, 'case.safetensors'));
const maybe = have ? describe : describe.skip;


const scalar = (a: NamedArray) => Number(a.data[0]);

maybe('GVSL parity with the PyTorch fixture gvsl-half-24x32x40', () => {
  let weights: StateDict;
  let c: StateDict;
  let model: GVSL;
  let shape: [number, number, number, number, number];

  beforeAll(() => {
    const w = loadSafetensors(path.join(FIXTURE, 'weights.safetensors'));
    weights = w.tensors;
    c = loadSafetensors(path.join(FIXTURE, 'case.safetensors')).tensors;
    // The fixture follows the official code's geometry (graphs/gvsl.ts Geometry).
    model = new GVSL(1, parseWidths(w.metadata.chan), { geometry: 'official' });
    shape = c.get('img')!.shape as typeof shape;
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

  test('the training graph reproduces losses, gradients and two Adam steps', async () => {
    const { graph } = buildGvslTrainGraph(model, shape, { withGrads: true });
    const m = exportModel(graph, { params: 'inputs' });
    const t = await TrainingSession.create(m.model, weights);
    const batch = { img_aug: c.get('img_aug')!, img: c.get('img')!, img2: c.get('img2')! };
    const feedsBefore = t.getState();
    // Step 1 (from the fixture weights): losses and gradients.
    const s = await createSession(m.model);
    const feeds: Record<string, NamedArray> = { ...batch, lr: { dtype: 'float32', shape: [], data: Float32Array.of(1e-4) }, step: { dtype: 'float32', shape: [], data: Float32Array.of(1) } };
    for (const [k, v] of feedsBefore) feeds[k] = v;
    const out = await runSession(s, feeds);
    await s.release();
    for (const [ours, theirs] of [['loss', 'loss'], ['loss_ncc', 'ncc'], ['loss_mse', 'mse'], ['loss_smooth', 'smooth']]) {
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
      if (Math.abs(proj - wantProj) > 1e-3 * wantNorm * Math.sqrt(gr.data.length / 2)) failures.push(`${name}: grad proj ${proj} vs ${wantProj}`);
      const full = c.get(`grad.${name}`);
      if (full && relErr(gr, full) > 1e-3) failures.push(`${name}: full gradient rel err ${relErr(gr, full)}`);
    }
    expect(failures).toEqual([]);
    // loss_after_adam.k is the loss at the parameters after k Adam steps: the `loss` output of step k+1.
    const losses: number[] = [];
    for (let k = 0; k < 3; k++) losses.push((await t.step(batch, 1e-4)).loss);
    await t.release();
    for (const k of [1, 2]) {
      const want = scalar(c.get(`loss_after_adam.${k}`)!);
      expect(Math.abs(losses[k] - want) / Math.abs(want)).toBeLessThan(1e-3);
    }
  });
});
