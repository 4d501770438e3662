/**
 * The CNN gradient lowerings of issue 17's speed work (polyphase strided-conv input gradients, the image-stem and
 * im2col weight gradients, the overlapping max-pool gradient, BatchStandardize) and cross-entropy's composed
 * log-softmax run on the WebGPU execution provider with no CPU fallback (SwiftShader's software Vulkan driver, as
 * test/runtime/trainer-webgpu.test.ts), and equal the CPU's.
 */
import { grad } from '../../sdk/autodiff';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import { batchStandardize, conv, logSoftmax, maxPool, mul, reduceSum, sin } from '../../sdk/ops';
import type { NamedArray } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { createSession, runSession } from '../../runtime/engine/ort';
import { haveWebGpu } from '../helpers/webgpu';

const sumSq = (y: Tensor) =>
  reduceSum(
    mul(y, sin(y)),
    y.dims.map((_, i) => i),
  );

const CASES: [string, (g: Graph) => Tensor[]][] = [
  [
    '2-D conv k3 s2 p1: polyphase dX, im2col dW',
    (g) => {
      const [x, w] = [g.input('x', 'float32', [2, 6, 9, 8]), g.input('w', 'float32', [5, 6, 3, 3])];
      return grad(sumSq(conv(x, w, null, { pads: [1, 1, 1, 1], strides: [2, 2] })), [x, w]);
    },
  ],
  [
    '2-D stem k7 s2 p3: the batch↔channel dW',
    (g) => {
      const [x, w] = [g.input('x', 'float32', [2, 3, 16, 16]), g.input('w', 'float32', [4, 3, 7, 7])];
      return grad(sumSq(conv(x, w, null, { pads: [3, 3, 3, 3], strides: [2, 2] })), [w]);
    },
  ],
  [
    '3-D conv k3 s2 p1: polyphase dX (rank-7 interleave)',
    (g) => {
      const [x, w] = [g.input('x', 'float32', [1, 2, 5, 6, 7]), g.input('w', 'float32', [3, 2, 3, 3, 3])];
      return grad(sumSq(conv(x, w, null, { pads: [1, 1, 1, 1, 1, 1], strides: [2, 2, 2] })), [x]);
    },
  ],
  [
    '2-D max-pool k3 s2 p1',
    (g) => {
      const x = g.input('x', 'float32', [2, 4, 9, 8]);
      return grad(sumSq(maxPool(x, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })), [x]);
    },
  ],
  [
    'BatchStandardize',
    (g) => {
      const x = g.input('x', 'float32', [4, 3, 5, 6]);
      return grad(reduceSum(mul(batchStandardize(x)[0], sin(x)), [0, 1, 2, 3]), [x]);
    },
  ],
  [
    // Composed (ReduceMax … Log): the WebGPU EP has no LogSoftmax kernel, so cross-entropy fell back to the CPU.
    'log-softmax over the classes',
    (g) => {
      const x = g.input('x', 'float32', [4, 5]);
      const y = logSoftmax(x, { axis: 1 });
      return [y, ...grad(sumSq(y), [x])];
    },
  ],
];

(haveWebGpu ? describe : describe.skip)('CNN gradients on WebGPU (no CPU fallback) equal the CPU', () => {
  test.each(CASES)('%s', async (_, build) => {
    const g = new Graph('webgpu');
    build(g).forEach((t, i) => g.output(`d${i}`, t));
    const model = exportModel(g).model;
    const feeds: Record<string, NamedArray> = {};
    for (const t of g.inputs) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      feeds[t.name] = {
        dtype: 'float32',
        shape: [...t.shape],
        data: Float32Array.from({ length: n }, (_, i) => Math.sin(1.7 * i)),
      };
    }
    const run = async (o: Parameters<typeof createSession>[1]) => {
      const s = await createSession(model, o);
      try {
        return await runSession(s, feeds);
      } finally {
        await s.release();
      }
    };
    const cpu = await run({});
    const gpu = await run({ ep: 'webgpu', noCpuFallback: true });
    for (const k of Object.keys(cpu)) {
      const [c, w] = [cpu[k].data as Float32Array, gpu[k].data as Float32Array];
      const scale = c.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(scale).toBeGreaterThan(0);
      // BatchNorm's gradient: 1.3e-4 of the largest element apart on SwiftShader's float32 reductions, as the
      // composed BatchNorm it replaced (same case, measured 2026-12-03); the convolutions and pools: < 1e-6.
      c.forEach((v, i) => expect(Math.abs(w[i] - v)).toBeLessThan(3e-4 * scale));
    }
  });
});
