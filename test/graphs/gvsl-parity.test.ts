/**
 * The fixture is the judge: ../shared/fixtures/gvsl-half-24x32x40 was made with an independent PyTorch GVSL.
 * Our exported graphs, run in onnxruntime-node, must reproduce its outputs, losses, gradients and Adam steps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGvslGraph, buildGvslTrainGraph, GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { loadSafetensors } from '../../runtime/checkpoint/safetensors';
import { exportModel } from '../../sdk/export';
import type { NamedArray, StateDict } from '../../sdk/state';
import { createSession, runSession } from '../../runtime/engine/ort';
import { relErr } from '../helpers/compare';
import { SHARED } from '../helpers/paths';

const FIXTURE = path.join(SHARED, 'fixtures', 'gvsl-half-24x32x40');
const have = fs.existsSync(path.join(FIXTURE, 'case.safetensors'));
const maybe = have ? describe : describe.skip;


const scalar = (a: NamedArray) => Number(a.data[0]);
const f32 = (v: number): NamedArray => ({ dtype: 'float32', shape: [], data: Float32Array.of(v) });

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
    const { graph, step } = buildGvslTrainGraph(model, shape, { withGrads: true });
    // One session for all three steps: creating one for this graph costs seconds (it is the bulk of the test).
    const s = await createSession(exportModel(graph, { params: 'inputs' }).model);
    // The training-step contract (sdk/train.ts, as TrainingSession runs it): parameters and zero Adam moments in,
    // `new.X` out and fed back as X; `step` counts from 1.
    const feeds: Record<string, NamedArray> = { img_aug: c.get('img_aug')!, img: c.get('img')!, img2: c.get('img2')!, lr: f32(1e-4) };
    for (const [name, w] of weights) {
      feeds[name] = w;
      for (const st of step.stateNames.get(name) ?? []) feeds[st] = { dtype: 'float32', shape: [...w.shape], data: new Float32Array(w.data.length) };
    }
    const runStep = async (t: number) => {
      const out = await runSession(s, { ...feeds, step: f32(t) });
      for (const [k, v] of Object.entries(out)) if (k.startsWith('new.')) feeds[k.slice(4)] = v;
      return out;
    };
    // Step 1 (from the fixture weights): losses and gradients.
    const out = await runStep(1);
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
    const losses = [scalar(out.loss)];
    for (const t of [2, 3]) losses.push(scalar((await runStep(t)).loss));
    await s.release();
    for (const k of [1, 2]) {
      const want = scalar(c.get(`loss_after_adam.${k}`)!);
      expect(Math.abs(losses[k] - want) / Math.abs(want)).toBeLessThan(1e-3);
    }
  });
});
