/**
 * The F namespace against torch.nn.functional 1.13 (fixture: test/data/make_nn_fixtures.py): outputs and
 * the gradients of sum(y · r) w.r.t. every tensor argument (running statistics excepted) to 1e-5 of each
 * tensor's largest magnitude.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { grad } from '../../../sdk/autodiff';
import { fromNumbers, type DType } from '../../../sdk/dtype';
import * as F from '../../../sdk/functional';
import { Graph } from '../../../sdk/graph';
import { mul, reduceSum } from '../../../sdk/ops';
import type { NamedArray } from '../../../sdk/state';
import type { Tensor } from '../../../sdk/tensor';
import { runGraph } from '../../helpers/run';

interface Arr {
  dtype: DType;
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  inputs: Arr[];
  const: boolean[];
  r: Arr;
  y: Arr;
  grads: (Arr | null)[];
}

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, '../../data/nn/functional.json'), 'utf8')) as {
  cases: Case[];
};

/** The same calls as the fixture script's FUNCTIONAL list, by name. */
const CALLS: Record<string, (xs: Tensor[]) => Tensor> = {
  conv2d: ([x, w, b]) => F.conv2d(x, w, b, { stride: 2, padding: 1 }),
  conv1d_same_dilation: ([x, w]) => F.conv1d(x, w, null, { padding: 'same', dilation: 2 }),
  conv3d_groups: ([x, w]) => F.conv3d(x, w, null, { groups: 2 }),
  conv_transpose1d: ([x, w, b]) => F.convTranspose1d(x, w, b, { stride: 3, padding: 1, outputPadding: 2 }),
  conv_transpose2d: ([x, w]) => F.convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }),
  conv_transpose3d_groups: ([x, w]) => F.convTranspose3d(x, w, null, { stride: 2, groups: 2 }),
  max_pool2d: ([x]) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }),
  max_pool1d_ceil_dilation: ([x]) => F.maxPool1d(x, 2, { stride: 3, dilation: 2, ceilMode: true }),
  max_pool3d: ([x]) => F.maxPool3d(x, 2, { stride: 1 }),
  avg_pool1d: ([x]) => F.avgPool1d(x, 4, { stride: 2, padding: 2 }),
  avg_pool2d: ([x]) => F.avgPool2d(x, [2, 3], { stride: [1, 2] }),
  avg_pool3d_exclude_pad: ([x]) => F.avgPool3d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
  avg_pool2d_divisor_override: ([x]) =>
    F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, divisorOverride: 4 }),
  adaptive_avg_pool2d: ([x]) => F.adaptiveAvgPool2d(x, [2, 3]),
  adaptive_max_pool1d: ([x]) => F.adaptiveMaxPool1d(x, 4),
  adaptive_avg_pool3d: ([x]) => F.adaptiveAvgPool3d(x, [2, 2, 2]),
  interpolate_nearest1d_x3: ([x]) => F.interpolate(x, { scaleFactor: 3, mode: 'nearest' }),
  interpolate_bilinear_down: ([x]) => F.interpolate(x, { size: [4, 3], mode: 'bilinear', alignCorners: false }),
  interpolate_trilinear_size_align: ([x]) =>
    F.interpolate(x, { size: [5, 4, 4], mode: 'trilinear', alignCorners: true }),
  batch_norm_training: ([x, w, b]) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }),
  batch_norm_eval: ([x, rm, rv, w, b]) => F.batchNorm(x, rm, rv, { weight: w, bias: b, eps: 1e-3 }),
  instance_norm: ([x, w, b]) => F.instanceNorm(x, { weight: w, bias: b }),
  group_norm: ([x, w, b]) => F.groupNorm(x, 2, { weight: w, bias: b }),
  pad_constant: ([x]) => F.pad(x, [1, 2, 0, 1], 'constant', 0.5),
  pad_reflect: ([x]) => F.pad(x, [2, 1, 3, 0], 'reflect'),
  pad_replicate_3d: ([x]) => F.pad(x, [1, 0, 2, 1, 1, 1], 'replicate'),
  pad_circular_1d: ([x]) => F.pad(x, [3, 2], 'circular'),
  flatten: ([x]) => F.flatten(x, 1, 2),
  dropout_eval: ([x]) => F.dropout(x, 0.3, false),
};

const named = (a: Arr): NamedArray => ({ dtype: a.dtype, shape: a.shape, data: fromNumbers(a.dtype, a.data) });

function expectClose(got: NamedArray, want: Arr, what: string): void {
  expect({ what, shape: got.shape }).toEqual({ what, shape: want.shape });
  const scale = Math.max(1e-6, ...want.data.map(Math.abs));
  let worst = 0;
  want.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(Number(got.data[i]) - v))));
  expect({ what, rel: worst / scale < 1e-5 ? 'ok' : worst / scale }).toEqual({ what, rel: 'ok' });
}

test('the TypeScript table covers every fixture case', () => {
  expect(Object.keys(CALLS).sort()).toEqual(FIXTURE.cases.map((c) => c.name).sort());
});

test.each(FIXTURE.cases.map((c) => [c.name, c] as const))('F.%s matches torch.nn.functional', async (_, c) => {
  const g = new Graph(c.name);
  const xs = c.inputs.map((a, i) => g.input(`x${i}`, 'float32', a.shape));
  const y = CALLS[c.name](xs);
  const loss = reduceSum(
    mul(y, g.constant(fromNumbers('float32', c.r.data), 'float32', c.r.shape)),
    y.shape.map((_, i) => i),
  );
  const wrt = xs.filter((_, i) => !c.const[i]);
  g.output('y', y);
  grad(loss, wrt).forEach((t, i) => g.output(`g${i}`, t));
  const out = await runGraph(g, Object.fromEntries(c.inputs.map((a, i) => [`x${i}`, named(a)])));
  expectClose(out.y, c.y, 'y');
  c.grads.filter((gr, i) => !c.const[i] && gr).forEach((gr, k) => expectClose(out[`g${k}`], gr!, `grad of input ${k}`));
});
