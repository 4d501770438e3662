/**
 * The WebGPU execution provider (bundled in onnxruntime-node) through SwiftShader's software Vulkan driver
 * (Debian's chromium ships it; .ci/run installs chromium and libvulkan1): tiny GVSL graphs must run with NO
 * CPU fallback and give the CPU's results.
 */
import { buildGvslGraph, buildGvslTrainGraph, GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { relErr } from '../helpers/compare';
import { createSession, runSession } from '../../runtime/engine/ort';
import { TrainingSession } from '../../runtime/engine/session';
import { exportModel } from '../../sdk/export';
import type { NamedArray } from '../../sdk/state';
import { haveWebGpu } from '../helpers/webgpu';

const maybe = haveWebGpu ? describe : describe.skip;
// SwiftShader runs the GPU's work on the CPU: a GVSL training step takes ~100 s of the 2-core machine when quiet and
// can pass 180 s (jest.config's default) when it is busy, so the training tests get 10 minutes.
const SOFTWARE_GPU_TIMEOUT = 600_000;

const shape = [1, 1, 16, 16, 16] as const;
const vol = (f: (i: number) => number): NamedArray => ({
  dtype: 'float32',
  shape: [...shape],
  data: Float32Array.from({ length: 16 ** 3 }, (_, i) => f(i)),
});
const A = vol((i) => 0.5 + 0.5 * Math.sin(i * 0.1));
const B = vol((i) => 0.5 + 0.5 * Math.cos(i * 0.07));

maybe('WebGPU EP (SwiftShader)', () => {
  const model = new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16'));
  const weights = model.initStateDict(1);

  test('the gvsl inference graph runs without CPU fallback and equals the CPU', async () => {
    const m = exportModel(buildGvslGraph(model, shape), { weights });
    const cpu = await runSession(await createSession(m.model), { A, B });
    const gpu = await runSession(await createSession(m.model, { ep: 'webgpu', noCpuFallback: true }), { A, B });
    for (const k of Object.keys(cpu)) expect(relErr(gpu[k], cpu[k])).toBeLessThan(1e-4);
  });

  test(
    'one training step equals the CPU step (losses and updated parameters)',
    async () => {
      const { graph } = buildGvslTrainGraph(model, shape, { withGrads: true });
      const m = exportModel(graph, { params: 'inputs' });
      const feeds: Record<string, NamedArray> = {
        img_aug: A,
        img: A,
        img2: B,
        // Adam's first step moves each parameter by ≈ lr·sign(g): where |g| is at float-noise level the sign can
        // differ between devices (2·lr apart), so lr is 1e-5 here and the gradients are compared on their own.
        lr: { dtype: 'float32', shape: [], data: Float32Array.of(1e-5) },
        step: { dtype: 'float32', shape: [], data: Float32Array.of(1) },
      };
      for (const [k, v] of weights) {
        feeds[k] = v;
        feeds[`adam.m.${k}`] = { ...v, data: new Float32Array(v.data.length) };
        feeds[`adam.v.${k}`] = { ...v, data: new Float32Array(v.data.length) };
      }
      const cpu = await runSession(await createSession(m.model), feeds);
      const gpu = await runSession(await createSession(m.model, { ep: 'webgpu', noCpuFallback: true }), feeds);
      for (const k of ['loss', 'loss_ncc', 'loss_mse', 'loss_smooth'])
        expect(Math.abs(Number(gpu[k].data[0]) - Number(cpu[k].data[0]))).toBeLessThan(
          1e-4 * Math.abs(Number(cpu[k].data[0])) + 1e-7,
        );
      // Gradients to 1e-3 of their norm; updated parameters (Adam's first step moves each by ~lr) to 1e-4.
      const l2 = (a: ArrayLike<number>, b?: ArrayLike<number>) =>
        Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - (b ? b[i] : 0)) ** 2, 0));
      const bad: string[] = [];
      for (const k of weights.keys()) {
        const gc = cpu[`grad.${k}`].data as Float32Array;
        const gg = gpu[`grad.${k}`].data as Float32Array;
        if (l2(gg, gc) > 1e-3 * l2(gc) + 1e-9) bad.push(`grad.${k}: ${l2(gg, gc)} vs norm ${l2(gc)}`);
        const pc = cpu[`new.${k}`].data as Float32Array;
        const pg = gpu[`new.${k}`].data as Float32Array;
        for (let i = 0; i < pc.length; i++)
          if (Math.abs(pc[i] - pg[i]) > 1e-4) bad.push(`new.${k}[${i}]: ${pg[i]} vs ${pc[i]}`);
      }
      expect(bad).toEqual([]);
    },
    SOFTWARE_GPU_TIMEOUT,
  );
});

maybe('WebGPU training state kept on the device', () => {
  test(
    'parameters stay GPU buffers between steps, losses match the CPU, and the state reads back',
    async () => {
      const model = new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16'));
      const weights = model.initStateDict(2);
      const { graph } = buildGvslTrainGraph(model, shape);
      const m = exportModel(graph, { params: 'inputs' }).model;
      const cpu = await TrainingSession.create(m, weights);
      const gpu = await TrainingSession.create(m, weights, { ep: 'webgpu', noCpuFallback: true });
      const batch = { img_aug: A, img: A, img2: B };
      for (let k = 0; k < 3; k++) {
        const a = await cpu.step(batch, 1e-5);
        const b = await gpu.step(batch, 1e-5);
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.abs(a.loss));
      }
      expect(gpu.onDevice).toBe(true);
      expect(() => gpu.getState()).toThrow(/device memory/);
      const sc = cpu.getState();
      const sg = await gpu.getStateAsync();
      expect([...sg.keys()]).toEqual([...sc.keys()]);
      // Parameters to 1e-4 (absolute). Adam moments accumulate the gradients, which differ between devices at
      // the 1e-3 level (float32 convolutions summed in another order; max-pool ties can break differently), so
      // they are compared in L2 norm: m to 1e-2 of its size, v (quadratic in g, so twice the relative error) to 2e-2.
      const bad: string[] = [];
      for (const [k, v] of sc) {
        const other = sg.get(k)!.data;
        let maxErr = 0;
        let d2 = 0;
        let n2 = 0;
        for (let i = 0; i < v.data.length; i++) {
          const a = Number(v.data[i]);
          const e = a - Number(other[i]);
          maxErr = Math.max(maxErr, Math.abs(e));
          d2 += e * e;
          n2 += a * a;
        }
        const tol = k.startsWith('adam.v.') ? 2e-2 : 1e-2;
        if (weights.has(k) ? maxErr > 1e-4 : Math.sqrt(d2) > tol * Math.sqrt(n2) + 1e-12)
          bad.push(`${k}: max ${maxErr}, rel L2 ${Math.sqrt(d2 / n2)}`);
      }
      expect(bad).toEqual([]);
      await cpu.release();
      await gpu.release();
    },
    SOFTWARE_GPU_TIMEOUT,
  );
});
