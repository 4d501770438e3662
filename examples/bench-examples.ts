/**
 * Times one training step of the ResNet CNN and the transformer encoder examples (issue 17), for alternating runs
 * against PyTorch's twins in scripts/bench_torch_examples.py. Prints one JSON line.
 *
 *   npm run build && node dist/examples/bench-examples.js --model resnet|transformer [--threads 2] [--runs 10]
 *     [--profile DIR]
 *
 * `--profile DIR` writes ONNX Runtime's per-node trace into DIR and prints to stderr the kernel time per step by op
 * type and the top nodes (warm-up runs left out). The profiler slows the step: read shares from it, not times.
 *
 * Sizes (both sides): ResNet width 64, batch 32, 3×64×64 images, SGD Nesterov; transformer d_model 128, 4 heads,
 * 4 layers, length 64, batch 32, AdamW with clipping, dropout 0.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findTrace, readTrace } from '../runtime/bench/profile';
import { Trainer, type TrainingProgram } from '../runtime/engine';
import { nn } from '../sdk';
import { arg, type Batch } from './harness';
import { resnetProgram, stripes, TinyResNet } from './resnet-cnn';
import { EncoderClassifier, majority, transformerProgram } from './transformer-encoder';

async function main(): Promise<void> {
  const model = arg('model') ?? 'resnet';
  const threads = Number(arg('threads') ?? 2);
  const runs = Number(arg('runs') ?? 10);
  const warmup = 3;
  const rng = new nn.Rng(1);
  let net: nn.Module;
  let program: TrainingProgram;
  let batch: Batch;
  if (model === 'resnet') {
    const m = new TinyResNet(64, 3);
    [net, program, batch] = [m, resnetProgram(m, 32, 64), stripes(32, 64, rng)];
  } else if (model === 'transformer') {
    const m = new EncoderClassifier(64, 128, 4, 4, 3, 0);
    [net, program, batch] = [m, transformerProgram(m, 32, 64), majority(32, 64, rng)];
  } else throw new Error(`--model must be resnet or transformer, got ${model}`);
  const profileDir = arg('profile');
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const profilePrefix = profileDir ? path.join(path.resolve(profileDir), `bench-examples-${model}`) : undefined;
  const started = Date.now();
  const trainer = await Trainer.create(program, { weights: net.initStateDict(0), lr: 0.01, threads, profilePrefix });
  try {
    const times: number[] = [];
    // Process CPU seconds per step too: with --threads 1 they hardly change with the machine's load (wall time
    // does), so A/B comparisons of lowerings can be made on a busy machine.
    const cpu: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      await trainer.step(batch);
      const dc = process.cpuUsage(c);
      if (i >= warmup) {
        times.push((performance.now() - t) / 1000);
        cpu.push((dc.user + dc.system) / 1e6);
      }
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    console.log(
      JSON.stringify({
        impl: 'ours',
        model,
        threads,
        runs,
        median_s: median(times),
        min_s: Math.min(...times),
        cpu_median_s: median(cpu),
      }),
    );
  } finally {
    await trainer.release();
  }
  if (profilePrefix) printProfile(profilePrefix, started, warmup);
}

/** Kernel time per step by op type and the top nodes, from the trace ORT wrote on release. */
function printProfile(prefix: string, since: number, warmup: number): void {
  const trace = findTrace(prefix, since);
  if (!trace) throw new Error(`no ONNX Runtime trace ${prefix}_*.json was written`);
  const p = readTrace(trace, warmup);
  const lines = [`${trace}: ${p.kernelMs.toFixed(1)} ms kernel time per step over ${p.runs} runs`];
  for (const o of p.ops.slice(0, 15))
    lines.push(
      `  ${o.op.padEnd(22)} ${o.ms.toFixed(1).padStart(8)} ms ${(100 * o.share).toFixed(1).padStart(5)} % (${o.nodes} nodes)`,
    );
  lines.push('top nodes:');
  for (const n of p.topNodes) lines.push(`  ${n.node} (${n.op}) ${n.ms.toFixed(1)} ms`);
  console.error(lines.join('\n'));
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
