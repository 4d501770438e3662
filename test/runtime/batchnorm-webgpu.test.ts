/**
 * A BatchNorm CNN trains on the WebGPU execution provider with no CPU fallback (SwiftShader's software Vulkan
 * driver, as test/runtime/trainer-webgpu.test.ts): `buildTraining` carries num_batches_tracked as int32 in its
 * graphs (no WebGPU kernel reads int64), the Trainer gives it back as PyTorch's int64, and the steps, running
 * statistics (momentum 0.1 and momentum=None, the cumulative average that divides by the count) and counters
 * equal the CPU's.
 */
import { crossEntropy } from '../../sdk/functional';
import { BatchNorm1d, BatchNorm2d, Conv2d, Linear, Module } from '../../sdk/nn';
import { relu, reshape } from '../../sdk/ops';
import type { NamedArray, StateDict } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { buildTraining } from '../../runtime/engine/program';
import { Trainer, type TrainerOptions } from '../../runtime/engine/trainer';
import { Rng } from '../helpers/rng';
import { haveWebGpu, trainOn } from '../helpers/webgpu';

class Net extends Module {
  readonly conv = this.addModule('conv', new Conv2d(1, 3, 3, { padding: 1 }));
  readonly bn = this.addModule('bn', new BatchNorm2d(3));
  readonly fc = this.addModule('fc', new Linear(3 * 4 * 4, 6));
  readonly bn1 = this.addModule('bn1', new BatchNorm1d(6, { momentum: null }));
  readonly out = this.addModule('out', new Linear(6, 3));
  forward(x: Tensor): Tensor {
    const h = relu(this.bn.call(this.conv.call(x)));
    return this.out.call(relu(this.bn1.call(this.fc.call(reshape(h, [x.shape[0], 3 * 4 * 4])))));
  }
}

function program(model: Net) {
  return buildTraining({
    model,
    // int32 class targets: int64 ones would put cross-entropy's one-hot (Unsqueeze, Equal) on the CPU.
    inputs: { x: { dtype: 'float32', shape: [4, 1, 4, 4] }, y: { dtype: 'int32', shape: [4] } },
    loss: ({ x, y }) => crossEntropy(model.call(x), y),
    optimizer: { kind: 'sgd', momentum: 0.9 },
  });
}

const r = new Rng(5);
const batches: Record<string, NamedArray>[] = [0, 1].map((s) => ({
  x: { dtype: 'float32', shape: [4, 1, 4, 4], data: Float32Array.from(r.array(64)) },
  y: { dtype: 'int32', shape: [4], data: Int32Array.of(s, 2, 1, 0) },
}));

test('buildTraining carries num_batches_tracked as int32; the Trainer shows int64 and resumes from int64', async () => {
  const model = new Net();
  const p = program(model);
  expect(p.int32Carried).toEqual(['bn.num_batches_tracked', 'bn1.num_batches_tracked']);
  expect(p.stateTypes['bn.num_batches_tracked']).toEqual({ dtype: 'int64', shape: [] });
  const weights = model.initStateDict(0);
  weights.set('bn1.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.of(41n) });
  const t = await Trainer.create(p, { weights, lr: 0.1 });
  for (const b of batches) await t.step(b);
  const sd = await t.stateDict();
  expect(sd.get('bn.num_batches_tracked')).toEqual({ dtype: 'int64', shape: [], data: BigInt64Array.of(2n) });
  expect(sd.get('bn1.num_batches_tracked')).toEqual({ dtype: 'int64', shape: [], data: BigInt64Array.of(43n) });
  expect((await t.fullState()).get('bn.num_batches_tracked')!.dtype).toBe('int64');
  await t.release();
  weights.set('bn.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.of(2n ** 31n) });
  await expect(Trainer.create(p, { weights, lr: 0.1 })).rejects.toThrow(
    /^'bn.num_batches_tracked' is 2147483648, outside the int32 range/,
  );
});

(haveWebGpu ? test : test.skip)(
  'a BatchNorm CNN trained on WebGPU (no CPU fallback) equals the CPU run, num_batches_tracked int64',
  async () => {
    const model = new Net();
    const p = program(model);
    const run = (o: Partial<TrainerOptions>) => trainOn(p, model.initStateDict(0), 0.1, batches, o, true);
    const cpu = await run({});
    const gpu = await run({ ep: 'webgpu', noCpuFallback: true });
    gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i])).toBeLessThan(1e-5 * (1 + cpu.losses[i])));
    expect(Math.abs(gpu.evalLoss! - cpu.evalLoss!)).toBeLessThan(1e-5 * (1 + cpu.evalLoss!));
    expectSameState(gpu.state, cpu.state);
    for (const k of ['bn.num_batches_tracked', 'bn1.num_batches_tracked'])
      expect(gpu.state.get(k)).toEqual({ dtype: 'int64', shape: [], data: BigInt64Array.of(2n) });
  },
);

function expectSameState(got: StateDict, want: StateDict): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [k, v] of want) {
    const g = got.get(k)!;
    expect(g.dtype).toBe(v.dtype);
    if (v.dtype === 'int64') expect(g.data).toEqual(v.data);
    // BatchNorm's reductions on SwiftShader: ~1e-6 apart after two steps (cnn-grads-webgpu.test.ts).
    else
      (v.data as Float32Array).forEach((w, i) => expect(Math.abs((g.data as Float32Array)[i] - w)).toBeLessThan(1e-4));
  }
}
