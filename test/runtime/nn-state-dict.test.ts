/**
 * A PyTorch state_dict with BatchNorm buffers (num_batches_tracked is int64) loads strictly into the same
 * network built from nn modules: every key, shape and dtype matches, nothing is missing or unexpected, and
 * the loaded BatchNorm runs in eval mode with PyTorch's running statistics. Made by test/data/make_nn_fixtures.py.
 */
import * as path from 'node:path';
import { loadModelWeights } from '../../runtime/checkpoint/weights';
import { matchStateDict } from '../../runtime/checkpoint/load';
import { loadPth } from '../../runtime/checkpoint/pth';
import * as nn from '../../sdk/nn';

// torch: Sequential(Conv2d(3, 4, 3, padding=1, bias=False), BatchNorm2d(4), ReLU(), Conv2d(4, 2, 1)); ReLU has no state.
const build = () =>
  new nn.Sequential(
    new nn.Conv2d(3, 4, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(4),
    new nn.Identity(),
    new nn.Conv2d(4, 2, 1),
  );
const file = path.join(__dirname, '../data/nn/bn-net.pth');

test('the BatchNorm network from PyTorch loads strictly, buffers included', () => {
  const model = build();
  const got = loadPth(file);
  const report = matchStateDict(model.stateSpecs(), got);
  expect({
    missing: report.missing,
    unexpected: report.unexpected,
    mismatched: report.mismatched,
    converted: report.converted,
  }).toEqual({ missing: [], unexpected: [], mismatched: [], converted: [] });
  expect([...got.keys()]).toEqual([...model.stateSpecs().keys()]);
  expect(got.get('1.num_batches_tracked')).toEqual({ dtype: 'int64', shape: [], data: BigInt64Array.from([3n]) });
});

test('loadModelWeights takes parameters and buffers from the .pth', () => {
  const w = loadModelWeights(build(), file);
  expect(w.missing).toEqual([]);
  expect([...w.tensors.keys()]).toContain('1.running_var');
  expect(Array.from(w.tensors.get('1.running_var')!.data as Float32Array).every((v) => v > 0 && v !== 1)).toBe(true);
});
