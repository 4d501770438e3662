import * as path from 'node:path';
import type { StateDict } from '../../sdk/state';
import { UserError } from './errors';
import type { BatchSource } from './batches';
import { CHECKPOINT_FILE } from './checkpoint';
import { writeRunPlots } from './plot';
import { type MetricsLine, MetricsLog, Progress } from './progress';
import type { TrainerHost } from './trainer-host';

export interface TrainLoopOptions {
  /** Run folder: metrics.jsonl, loss.svg and the checkpoint live here. */
  dir: string;
  trainer: TrainerHost;
  source: BatchSource;
  /** Steps already done (0, or the checkpoint's step when resuming). */
  startStep: number;
  steps: number;
  lr: number;
  /** Scalar outputs of the training graph: checked for NaN, logged, shown and plotted. */
  terms: string[];
  saveEvery: number;
  quiet: boolean;
  json: boolean;
  resumed: boolean;
  /** Start of the run (performance.now()), for the `time` column. */
  t0: number;
  /** Writes the checkpoint of `step` from the trainer's state (atomically); returns its path. */
  save(state: StateDict, step: number): string;
  /** Runs after every step (e.g. validation); the numbers it returns join the step's metrics line. */
  afterStep?(step: number, trainer: TrainerHost): Promise<Record<string, number> | undefined>;
  /** Extra plots, written with loss.svg/png at each checkpoint (from metrics.jsonl in `dir`). */
  plot?(): void;
}

export interface TrainLoopResult {
  step: number;
  interrupted: boolean;
  checkpoint: string;
}

/**
 * The training loop shared by pre-training and fine-tuning: one batch and one training step at a time, a NaN
 * check on every term, metrics.jsonl (and JSON lines on stdout with `json`), the progress bar, checkpoints
 * every `saveEvery` steps and at the end, and Ctrl-C (finish the step, save, stop; twice aborts).
 */
export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const metricsFile = path.join(o.dir, 'metrics.jsonl');
  const metricsLog = new MetricsLog(metricsFile, o.resumed ? o.startStep : null);
  const progress = new Progress(o.startStep + 1, o.steps, o.quiet || o.json);
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\ninterrupted: finishing this step and saving a checkpoint (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSigint);

  let step = o.startStep;
  let lastSaved = o.startStep;
  const checkpoint = async () => {
    const file = o.save(await o.trainer.state(), step);
    writeRunPlots(o.dir, 'loss');
    o.plot?.();
    lastSaved = step;
    return file;
  };
  try {
    while (step < o.steps && !interrupted) {
      const batch = await o.source.get(step + 1);
      let metrics;
      try {
        metrics = await o.trainer.step(batch, o.lr);
      } catch (e) {
        throw new UserError(`step ${step + 1}: ONNX Runtime failed: ${(e as Error).message.split('\n')[0]}`);
      }
      const bad = o.terms.find((k) => !Number.isFinite(metrics[k]));
      if (bad) {
        const kept = lastSaved > 0 || o.resumed ? `the last good checkpoint (step ${lastSaved}) is ${path.join(o.dir, CHECKPOINT_FILE)}` : 'no checkpoint was written yet';
        throw new UserError(`step ${step + 1}: ${bad} is ${metrics[bad]}; training stopped (${kept}). Try a lower --lr or check the data.`);
      }
      step++;
      const shown = Object.fromEntries(o.terms.map((k) => [k, metrics[k]]));
      const extra = (await o.afterStep?.(step, o.trainer)) ?? {};
      const line: MetricsLine = { step, time: (performance.now() - o.t0) / 1000, lr: o.lr, ...shown, ...extra };
      metricsLog.append(line);
      if (o.json) process.stdout.write(JSON.stringify(line) + '\n');
      progress.update(step, { ...shown, ...extra });
      if (step % o.saveEvery === 0 && step < o.steps) await checkpoint();
    }
    progress.end();
    return { step, interrupted, checkpoint: await checkpoint() };
  } finally {
    process.off('SIGINT', onSigint);
  }
}
