/**
 * The 1-D/2-D/3-D module families (sdk/nn/nd.ts): each member is its own class with its static `dims`, its
 * family's PyTorch defaults and state_dict keys, and dispatches to the `F` function of its dimension.
 */
import { Graph } from '../../../sdk/graph';
import * as nn from '../../../sdk/nn';

const input = (shape: number[]) => new Graph('t').input('x', 'float32', shape);
const keys = (m: nn.Module) => [...m.stateSpecs()].map(([k, s]) => `${k}:${s.dtype}[${s.shape}]`);

const FAMILIES = {
  Conv: [nn.Conv1d, nn.Conv2d, nn.Conv3d],
  ConvTranspose: [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d],
  BatchNorm: [nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d],
  InstanceNorm: [nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d],
  MaxPool: [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d],
  AvgPool: [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d],
  AdaptiveAvgPool: [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d],
  AdaptiveMaxPool: [nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d],
};

test.each(Object.entries(FAMILIES))('%s1d/2d/3d are three classes with static and instance dims 1, 2, 3', (_, cls) => {
  expect(cls.map((c) => c.dims)).toEqual([1, 2, 3]);
  const make = (c: (typeof cls)[number]) => new (c as unknown as new (...a: unknown[]) => nn.Module)(2, 2, 2);
  const made = cls.map(make);
  made.forEach((m, i) => {
    expect((m as unknown as { dims: number }).dims).toBe(i + 1);
    cls.forEach((c, j) => expect(m instanceof c).toBe(i === j));
  });
});

test('each member runs its own dimension: output shapes of a 1-D, 2-D and 3-D input', () => {
  const out = (m: nn.Module, shape: number[]) => (m.call(input(shape)) as { dims: unknown }).dims;
  expect(out(new nn.MaxPool1d(3, { stride: 2, padding: 1 }), [1, 2, 9])).toEqual([1, 2, 5]);
  expect(out(new nn.MaxPool3d(), [1, 2, 4, 6, 8])).toEqual([1, 2, 2, 3, 4]);
  expect(out(new nn.AvgPool2d(2), [1, 2, 4, 6])).toEqual([1, 2, 2, 3]);
  expect(out(new nn.AdaptiveMaxPool3d([1, 2, 3]), [1, 2, 4, 4, 6])).toEqual([1, 2, 1, 2, 3]);
  expect(out(new nn.AdaptiveAvgPool1d(3), [1, 2, 7])).toEqual([1, 2, 3]);
  expect(out(new nn.Conv3d(2, 4, 3, { padding: 1 }), [1, 2, 3, 4, 5])).toEqual([1, 4, 3, 4, 5]);
  expect(out(new nn.ConvTranspose2d(2, 4, 2, { stride: 2 }), [1, 2, 3, 5])).toEqual([1, 4, 6, 10]);
  expect(out(new nn.BatchNorm1d(2), [3, 2])).toEqual([3, 2]);
  expect(out(new nn.InstanceNorm1d(2), [3, 2, 5])).toEqual([3, 2, 5]);
  expect(() => out(new nn.MaxPool2d(2), [1, 2, 8])).toThrow(/max_pool2d/);
  expect(() => out(new nn.InstanceNorm3d(2), [1, 2, 4, 4])).toThrow('InstanceNorm3d(2) expects input (N, 2, D, H, W)');
});

test("PyTorch's defaults and state_dict keys per family", () => {
  expect(keys(new nn.BatchNorm2d(3))).toEqual([
    'weight:float32[3]',
    'bias:float32[3]',
    'running_mean:float32[3]',
    'running_var:float32[3]',
    'num_batches_tracked:int64[]',
  ]);
  expect(keys(new nn.InstanceNorm2d(3))).toEqual([]);
  expect(keys(new nn.InstanceNorm1d(3, { affine: true }))).toEqual(['weight:float32[3]', 'bias:float32[3]']);
  const bn = new nn.BatchNorm3d(3, { momentum: null });
  expect([bn.eps, bn.momentum, bn.affine, bn.trackRunningStats, bn.ranks]).toEqual([1e-5, null, true, true, [5]]);
  expect(new nn.BatchNorm1d(3).ranks).toEqual([2, 3]);
  expect(() => new nn.InstanceNorm2d(3, { momentum: null })).toThrow(/^InstanceNorm2d: momentum=None/);
  expect(keys(new nn.Conv2d(4, 6, 3, { groups: 2 }))).toEqual(['weight:float32[6,2,3,3]', 'bias:float32[6]']);
  expect(keys(new nn.ConvTranspose1d(4, 6, 3, { groups: 2, bias: false }))).toEqual(['weight:float32[4,3,3]']);
  expect(() => new nn.ConvTranspose2d(4, 6, [3, 3, 3])).toThrow(/^ConvTranspose2d\(4, 6\) kernel_size/);
  expect(() => new nn.Conv1d(4, 6, 3, { groups: 4 })).toThrow('Conv1d(4, 6): in_channels and out_channels');
  expect(new nn.MaxPool3d().kernelSize).toBe(2);
  expect([new nn.AvgPool2d(2).opts, new nn.MaxPool1d(2).opts]).toEqual([{}, {}]);
  expect(new nn.ReLU(true).inplace).toBe(true);
  expect(new nn.SiLU().inplace).toBe(false);
});
