/**
 * Every nn module against PyTorch 1.13 (fixture made by test/data/make_nn_fixtures.py): the state_dict
 * (parameters and buffers) loads by key, and the output, the gradients of sum(y · r) w.r.t. the input and
 * every parameter, and the buffers after the pass (train mode updates them) equal PyTorch's float64 values
 * to 1e-5 of each tensor's largest magnitude.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { grad } from '../../../sdk/autodiff';
import { Graph } from '../../../sdk/graph';
import * as nn from '../../../sdk/nn';
import { mul, reduceSum } from '../../../sdk/ops';
import type { NamedArray } from '../../../sdk/state';
import type { Tensor } from '../../../sdk/tensor';
import { fromNumbers, type DType } from '../../../sdk/dtype';
import { runGraph } from '../../helpers/run';

interface Arr {
  dtype: DType;
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  mode: 'train' | 'eval';
  x: Arr;
  r: Arr;
  state: Record<string, Arr>;
  y: Arr;
  grads: Record<string, Arr>;
  buffers_after: Record<string, Arr>;
}

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, '../../data/nn/modules.json'), 'utf8')) as {
  cases: Case[];
};

/** The same modules as the fixture script's CASES, by name. */
const MODULES: Record<string, () => nn.Module> = {
  conv1d: () => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 1 }),
  conv2d_groups_dilation: () =>
    new nn.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }),
  conv2d_same_even_kernel: () => new nn.Conv2d(2, 3, 4, { padding: 'same', bias: false }),
  conv2d_valid: () => new nn.Conv2d(2, 3, 3, { padding: 'valid' }),
  conv3d: () => new nn.Conv3d(2, 3, 3, { stride: 2, padding: 1 }),
  conv2d_reflect: () => new nn.Conv2d(2, 3, 3, { padding: [2, 1], paddingMode: 'reflect' }),
  conv1d_circular: () => new nn.Conv1d(2, 2, 3, { padding: 2, paddingMode: 'circular' }),
  conv3d_replicate_same: () => new nn.Conv3d(1, 2, [3, 2, 3], { padding: 'same', paddingMode: 'replicate' }),
  conv_transpose1d: () => new nn.ConvTranspose1d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  conv_transpose2d_groups: () =>
    new nn.ConvTranspose2d(4, 6, [3, 2], { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2], groups: 2 }),
  conv_transpose2d_dilation: () => new nn.ConvTranspose2d(2, 3, 3, { padding: 2, dilation: 2 }),
  conv_transpose3d: () => new nn.ConvTranspose3d(2, 2, 2, { stride: 2, bias: false }),
  batchnorm1d_2d_input_train: () => new nn.BatchNorm1d(3),
  batchnorm1d_train: () => new nn.BatchNorm1d(3),
  batchnorm2d_train: () => new nn.BatchNorm2d(3),
  batchnorm2d_eval: () => new nn.BatchNorm2d(3),
  batchnorm3d_cumulative_train: () => new nn.BatchNorm3d(2, { momentum: null, eps: 1e-3 }),
  batchnorm2d_untracked_eval: () => new nn.BatchNorm2d(3, { affine: false, trackRunningStats: false }),
  instancenorm1d: () => new nn.InstanceNorm1d(3),
  instancenorm2d_affine_tracked_train: () => new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }),
  instancenorm3d_tracked_eval: () => new nn.InstanceNorm3d(2, { trackRunningStats: true }),
  groupnorm_1d: () => new nn.GroupNorm(2, 4),
  groupnorm_2d: () => new nn.GroupNorm(3, 6, 1e-3),
  groupnorm_no_affine: () => new nn.GroupNorm(1, 3, 1e-5, false),
  maxpool1d: () => new nn.MaxPool1d(3, { stride: 2, padding: 1 }),
  maxpool2d_stem: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
  maxpool2d_ceil: () => new nn.MaxPool2d(2, { stride: 2, ceilMode: true }),
  maxpool2d_dilation: () => new nn.MaxPool2d(2, { stride: 1, dilation: 2 }),
  maxpool3d: () => new nn.MaxPool3d(3, { stride: 2, padding: 1 }),
  avgpool1d_pad: () => new nn.AvgPool1d(3, { stride: 2, padding: 1 }),
  avgpool2d_ceil_exclude_pad: () =>
    new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avgpool2d_ceil_include_pad: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
  avgpool3d: () => new nn.AvgPool3d(2),
  adaptive_avgpool1d: () => new nn.AdaptiveAvgPool1d(3),
  adaptive_avgpool2d: () => new nn.AdaptiveAvgPool2d([3, 4]),
  adaptive_avgpool2d_global: () => new nn.AdaptiveAvgPool2d(1),
  adaptive_avgpool3d: () => new nn.AdaptiveAvgPool3d([2, 1, 3]),
  adaptive_maxpool1d: () => new nn.AdaptiveMaxPool1d(4),
  adaptive_maxpool2d: () => new nn.AdaptiveMaxPool2d([2, 3]),
  adaptive_maxpool3d: () => new nn.AdaptiveMaxPool3d(2),
  upsample_nearest2d: () => new nn.Upsample({ scaleFactor: 2, mode: 'nearest' }),
  upsample_nearest3d_size: () => new nn.Upsample({ size: [3, 5, 4], mode: 'nearest' }),
  upsample_linear1d: () => new nn.Upsample({ size: 9, mode: 'linear' }),
  upsample_bilinear_size: () => new nn.Upsample({ size: [7, 5], mode: 'bilinear' }),
  upsample_bilinear_align: () => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
  upsample_trilinear_align: () => new nn.Upsample({ scaleFactor: 2, mode: 'trilinear', alignCorners: true }),
  flatten: () => new nn.Flatten(),
  flatten_0_2: () => new nn.Flatten(0, 2),
  identity: () => new nn.Identity(),
  dropout_eval: () => new nn.Dropout(0.3),
  dropout2d_eval: () => new nn.Dropout2d(0.3),
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
  expect(Object.keys(MODULES).sort()).toEqual(FIXTURE.cases.map((c) => c.name).sort());
});

test.each(FIXTURE.cases.map((c) => [c.name, c] as const))('%s matches PyTorch', async (_, c) => {
  const m = MODULES[c.name]().train(c.mode === 'train');
  // The module's state_dict: the same keys, shapes and dtypes as PyTorch's, buffers included.
  expect([...m.stateSpecs()].map(([k, s]) => [k, s.dtype, s.shape])).toEqual(
    Object.entries(c.state).map(([k, a]) => [k, a.dtype, a.shape]),
  );
  const g = new Graph(c.name);
  const x = g.input('x', 'float32', c.x.shape);
  const y: Tensor = m.call(x);
  const loss = reduceSum(
    mul(y, g.constant(fromNumbers('float32', c.r.data), 'float32', c.r.shape)),
    y.shape.map((_, i) => i),
  );
  const keys = Object.keys(c.grads).filter((k) => k !== 'x');
  const wrt = [x, ...keys.map((k) => g.params.get(k)!)];
  g.output('y', y);
  grad(loss, wrt).forEach((t, i) => g.output(`grad.${i === 0 ? 'x' : keys[i - 1]}`, t));
  for (const [k, t] of g.bufferUpdates) g.output(`new.${k}`, t);
  const feeds: Record<string, NamedArray> = { x: named(c.x) };
  for (const k of g.params.keys()) feeds[k] = named(c.state[k]);
  const out = await runGraph(g, feeds, { params: 'inputs' });
  expectClose(out.y, c.y, 'y');
  expectClose(out['grad.x'], c.grads.x, 'grad x');
  for (const k of keys) expectClose(out[`grad.${k}`], c.grads[k], `grad ${k}`);
  // Train mode: every buffer PyTorch changed is a buffer update of ours; eval mode: none changes.
  for (const [k, after] of Object.entries(c.buffers_after)) {
    const changed = after.data.some((v: number, i: number) => v !== c.state[k].data[i]);
    expect({ k, updated: g.bufferUpdates.has(k) }).toEqual({ k, updated: changed });
    if (changed) expectClose(out[`new.${k}`], after, `new ${k}`);
  }
});
