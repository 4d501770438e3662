/**
 * Dropout masks are the same bits on every execution provider: the WebGPU EP (SwiftShader, as in
 * test/webgpu.test.ts) gives exactly the CPU's output for one seed. NOTE: the hash's int64 nodes have no WebGPU
 * kernels; ORT places them on the CPU EP (its default fallback) and only the float mask reaches the GPU, so a
 * session with `noCpuFallback` refuses a train-mode Dropout graph (checked below, so a change is noticed).
 */
import { createSession, runSession } from '../../runtime/engine/ort';
import { exportModel } from '../../sdk/export';
import * as F from '../../sdk/functional';
import { Graph } from '../../sdk/graph';
import { haveWebGpu } from '../helpers/webgpu';

const maybe = haveWebGpu ? describe : describe.skip;

maybe('dropout on the WebGPU EP', () => {
  const g = new Graph('dropout');
  const x = g.input('x', 'float32', [2, 3, 8, 8]);
  g.output('y', F.dropout(x, 0.4, true));
  g.output('y2', F.dropout2d(x, 0.5, true));
  const { model } = exportModel(g);
  const feeds = {
    x: {
      dtype: 'float32' as const,
      shape: [2, 3, 8, 8],
      data: Float32Array.from({ length: 384 }, (_, i) => 1 + i / 384),
    },
    dropout_seed: { dtype: 'int32' as const, shape: [], data: Int32Array.of(77) },
  };

  test('the same masks as the CPU EP, bit for bit', async () => {
    const cpu = await runSession(await createSession(model), feeds);
    const gpu = await runSession(await createSession(model, { ep: 'webgpu' }), feeds);
    for (const k of ['y', 'y2'])
      expect(Array.from(gpu[k].data as Float32Array)).toEqual(Array.from(cpu[k].data as Float32Array));
  });

  test('without CPU fallback the int64 hash is refused (its nodes run on the CPU EP)', async () => {
    await expect(
      createSession(model, { ep: 'webgpu', noCpuFallback: true }).then((s) => runSession(s, feeds)),
    ).rejects.toThrow(/fallback to CPU EP has been explicitly disabled/);
  });
});
