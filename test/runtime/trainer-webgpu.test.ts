/**
 * The Trainer on the WebGPU execution provider (SwiftShader's software Vulkan driver, as test/webgpu.test.ts):
 * with no CPU fallback and the state kept in GPU memory, an MLP's steps, evaluation and state dict equal the CPU's.
 */
import { Linear } from '../../sdk/nn/linear';
import { Module } from '../../sdk/nn/module';
import { mul, reduceMean, relu, sub } from '../../sdk/ops';
import type { NamedArray } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { buildTraining } from '../../runtime/engine/program';
import type { TrainerOptions } from '../../runtime/engine/trainer';
import { Rng } from '../helpers/rng';
import { haveWebGpu, trainOn } from '../helpers/webgpu';

class MLP extends Module {
  readonly a = this.addModule('a', new Linear(3, 8));
  readonly b = this.addModule('b', new Linear(8, 2));
  forward(x: Tensor): Tensor {
    return this.b.call(relu(this.a.call(x)));
  }
}

(haveWebGpu ? test : test.skip)(
  'an MLP trained on WebGPU (state on the device, no CPU fallback) equals the CPU run',
  async () => {
    const model = new MLP();
    const program = buildTraining({
      model,
      inputs: { x: { dtype: 'float32', shape: [4, 3] }, y: { dtype: 'float32', shape: [4, 2] } },
      loss: ({ x, y }) => {
        const d = sub(model.call(x), y);
        return reduceMean(mul(d, d), [0, 1]);
      },
      optimizer: { kind: 'adam' },
      clipGradNorm: 1,
    });
    const r = new Rng(4);
    const batches: Record<string, NamedArray>[] = [0, 1, 2].map(() => ({
      x: { dtype: 'float32', shape: [4, 3], data: Float32Array.from(r.array(12)) },
      y: { dtype: 'float32', shape: [4, 2], data: Float32Array.from(r.array(8)) },
    }));
    const run = (o: Partial<TrainerOptions>) => trainOn(program, model.initStateDict(0), 0.05, batches, o, true);
    const cpu = await run({});
    const gpu = await run({ ep: 'webgpu', noCpuFallback: true });
    gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i])).toBeLessThan(1e-5 * (1 + cpu.losses[i])));
    expect(Math.abs(gpu.evalLoss! - cpu.evalLoss!)).toBeLessThan(1e-5 * (1 + cpu.evalLoss!));
    for (const [k, v] of cpu.state) {
      const g = gpu.state.get(k)!.data as Float32Array;
      (v.data as Float32Array).forEach((w, i) => expect(Math.abs(g[i] - w)).toBeLessThan(1e-5));
    }
  },
);
