/**
 * The example's small conv net (examples/small-convnet-model.ts), built from the DSL's nn modules and run in
 * onnxruntime-node, against the same maths written in plain TypeScript (float64) from the same weights.
 */
import { Graph } from '../../sdk/graph';
import type { StateDict } from '../../sdk/state';
import { SmallNet } from '../../examples/small-convnet-model';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { toND } from '../helpers/primcheck';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';
import type { ND } from '../ref/nd';
import { refConv, refPool, refResizeLinear } from '../ref/nn';
import { refGroupNorm, refLeakyRelu } from '../ref/norm';

const SHAPE = [1, 1, 8, 10, 12];

function reference(x: ND, sd: StateDict): ND {
  const p = (k: string) => toND(sd.get(k)!);
  const pads = [1, 1, 1, 1, 1, 1];
  let h = refConv(x, p('conv1.weight'), p('conv1.bias'), { pads });
  h = refGroupNorm(h, 2, p('norm.weight'), p('norm.bias'));
  h = refLeakyRelu(h, 0.2);
  h = refPool('max', h, { kernel: [2, 2, 2] });
  h = refResizeLinear(
    h,
    h.shape.slice(2).map((s) => 2 * s),
    'align_corners',
  );
  return refConv(h, p('conv2.weight'), p('conv2.bias'), { pads });
}

test('SmallNet in ORT equals the plain-TypeScript reference on a 1×1×8×10×12 input', async () => {
  const net = new SmallNet();
  const g = new Graph('small_convnet');
  const y = net.call(g.input('x', 'float32', SHAPE));
  g.output('y', y);
  expect(y.shape).toEqual(SHAPE);
  expect([...g.params.keys()]).toEqual([...net.paramSpecs().keys()]);

  const sd = net.initStateDict(42);
  // Non-trivial GroupNorm affine parameters, so that they are checked too (torch initialises them to 1 and 0).
  const rng = new Rng(5);
  sd.set('norm.weight', { dtype: 'float32', shape: [8], data: Float32Array.from(rng.array(8, 0.5, 1.5)) });
  sd.set('norm.bias', { dtype: 'float32', shape: [8], data: Float32Array.from(rng.array(8, -0.5, 0.5)) });
  const x = { dtype: 'float32' as const, shape: SHAPE, data: Float32Array.from(rng.array(8 * 10 * 12)) };

  const got = (await runGraph(g, { x }, { weights: sd })).y;
  const want = reference(toND(x), sd);
  expect(got.shape).toEqual(want.shape);
  let worst = 0;
  want.data.forEach((w, i) => {
    worst = Math.max(worst, Math.abs(Number(got.data[i]) - w) / (1 + Math.abs(w)));
  });
  expect(worst).toBeLessThan(1e-4);
});

test('every exported model passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
