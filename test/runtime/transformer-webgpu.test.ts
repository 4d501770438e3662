/**
 * The transformer example's training step on the WebGPU execution provider (SwiftShader, as
 * trainer-webgpu.test.ts), tiny: with the lowerings of docs/performance.md's "SDK examples: the transformer step"
 * (LayerNorm through Standardize, the folded weight gradients, bias gradients as MatMuls, clipping without the
 * zeros), two steps equal the CPU's, with no CPU fallback: int32 tokens and targets keep the embeddings'
 * gradients (index wrap and reshape before the cast to ScatterND's int64) and the cross-entropy's one-hot on WebGPU,
 * which reads no int64 (with int64 ones ORT placed 8 small index nodes on the CPU).
 */
import { nn } from '../../sdk';
import type { TrainerOptions } from '../../runtime/engine/trainer';
import { EncoderClassifier, majority, transformerProgram } from '../../examples/transformer-encoder';
import { haveWebGpu, trainOn } from '../helpers/webgpu';

(haveWebGpu ? test : test.skip)('the transformer example steps on WebGPU as on the CPU', async () => {
  const model = new EncoderClassifier(5, 8, 2, 1, 3, 0);
  const program = transformerProgram(model, 4, 5, 'int32');
  const rng = new nn.Rng(3);
  const batches = [majority(4, 5, rng, 'int32'), majority(4, 5, rng, 'int32')];
  const run = (o: Partial<TrainerOptions>) => trainOn(program, model.initStateDict(0), 0.01, batches, o);
  const cpu = await run({});
  const gpu = await run({ ep: 'webgpu', noCpuFallback: true });
  gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i])).toBeLessThan(1e-5 * (1 + cpu.losses[i])));
  // NOTE: the key third of in_proj_bias has an exact gradient of 0 (softmax is shift-invariant along the keys),
  // so its computed gradient is rounding noise that Adam scales up to ±lr on either device: skipped.
  const E = 8;
  for (const [k, v] of cpu.state) {
    const g = gpu.state.get(k)!.data as Float32Array;
    (v.data as Float32Array).forEach((w, i) => {
      if (k.endsWith('self_attn.in_proj_bias') && i >= E && i < 2 * E) return;
      expect(Math.abs(g[i] - w)).toBeLessThan(1e-5 * (1 + Math.abs(w)));
    });
  }
});
