/**
 * A tiny training run through the engine that pretrain and finetune use (runtime/engine: inRun's run folder and
 * lock, trainLoop's metrics.jsonl, loss.svg, checkpoints and Ctrl-C, resume from the folder's checkpoint), with a
 * four-term MLP so that a step costs a fraction of a millisecond of ONNX Runtime. For soak and fault tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Linear } from '../../sdk/nn/linear';
import { Module } from '../../sdk/nn/module';
import { abs, mul, reduceMax, reduceMean, relu, sub } from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';
import { type Batch, inlineSource, stepRng } from '../../runtime/engine/batches';
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from '../../runtime/engine/checkpoint';
import { trainLoop, type TrainLoopResult } from '../../runtime/engine/loop';
import { buildTraining } from '../../runtime/engine/program';
import { inRun } from '../../runtime/engine/run';
import { Trainer } from '../../runtime/engine/trainer';

const N = 8;
/** The scalars each step logs (as pretrain's four loss terms). */
export const TERMS = ['loss', 'loss_mse', 'loss_l1', 'loss_max'];
export const LR = 3e-3;

class MLP extends Module {
  readonly fc1 = this.addModule('fc1', new Linear(4, 16));
  readonly fc2 = this.addModule('fc2', new Linear(16, 2));
  forward(x: Tensor): Tensor {
    return this.fc2.call(relu(this.fc1.call(x)));
  }
}

const model = new MLP();
const program = buildTraining({
  model,
  inputs: { x: { dtype: 'float32', shape: [N, 4] }, y: { dtype: 'float32', shape: [N, 2] } },
  loss: ({ x, y }) => {
    const d = sub(model.call(x), y);
    const mse = reduceMean(mul(d, d), [0, 1]);
    return {
      loss: mse,
      metrics: { loss_mse: mse, loss_l1: reduceMean(abs(d), [0, 1]), loss_max: reduceMax(abs(d), [0, 1]) },
    };
  },
  optimizer: { kind: 'adam' },
});

/** Step t's batch, a pure function of t (as the applications' batch makers): y = a fixed map of x plus noise. */
function batch(t: number): Batch {
  const r = stepRng(7, t);
  const x = Float32Array.from({ length: N * 4 }, () => r.uniform() * 2 - 1);
  const y = new Float32Array(N * 2);
  for (let n = 0; n < N; n++) {
    y[2 * n] = Math.sin(x[4 * n]) + x[4 * n + 1] * x[4 * n + 2] + 0.01 * r.uniform();
    y[2 * n + 1] = Math.abs(x[4 * n + 3]) - 0.5;
  }
  return { x: { dtype: 'float32', shape: [N, 4], data: x }, y: { dtype: 'float32', shape: [N, 2], data: y } };
}

export interface EngineRunSpec {
  /** The run folder: a new run, or resumed from its checkpoint when it has one. */
  dir: string;
  steps: number;
  saveEvery: number;
  /** After each step (before its metrics line and checkpoint): throw to crash the run there, 'sigint' for Ctrl-C. */
  onStep?(step: number): 'sigint' | void;
  /** Copies of the checkpoint at these steps are kept as `${dir}-<step>.safetensors`. */
  keep?: Set<number>;
}

/** One run (new, or resumed from the folder's checkpoint) through inRun + trainLoop, as the applications do. */
export async function engineRun(spec: EngineRunSpec): Promise<TrainLoopResult> {
  const resumed = fs.existsSync(path.join(spec.dir, CHECKPOINT_FILE));
  const ck = resumed ? loadCheckpoint<{ lr: number }>(spec.dir) : null;
  const startStep = ck?.meta.step ?? 0;
  const before = process.listeners('SIGINT');
  const opts = { out: spec.dir, ep: 'cpu' as const, threads: 1, quiet: true, json: false, workers: false, resumed };
  return inRun(opts, startStep, spec.steps, async ({ dir, t0 }) => {
    const trainer = await Trainer.create(program, {
      weights: ck?.state ?? model.initStateDict(0),
      lr: LR,
      step: startStep,
      threads: 1,
    });
    try {
      return await trainLoop({
        dir,
        trainer,
        source: inlineSource(batch),
        startStep,
        steps: spec.steps,
        terms: TERMS,
        saveEvery: spec.saveEvery,
        quiet: true,
        json: false,
        resumed,
        t0,
        save: (state, step) => {
          const file = saveCheckpoint(dir, state, { config: { lr: LR }, step });
          if (spec.keep?.has(step)) fs.copyFileSync(file, `${dir}-${step}.safetensors`);
          return file;
        },
        afterStep: async (step) => {
          // Ctrl-C as the loop sees it: the engine's SIGINT handler called (a real signal would reach jest's too).
          if (spec.onStep?.(step) === 'sigint')
            for (const h of process.listeners('SIGINT')) if (!before.includes(h)) h('SIGINT');
          return undefined;
        },
      });
    } finally {
      await trainer.release();
    }
  });
}
