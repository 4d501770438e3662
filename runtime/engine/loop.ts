import * as path from 'node:path';
import type { StateDict } from '../../sdk/state';
import { STATE_CHECK } from '../../sdk/train';
import { UserError } from './errors';
import type { BatchSource } from './batches';
import { CHECKPOINT_FILE } from './checkpoint';
import { onStopRequest } from './interrupt';
import { MetricsSummary, type RunSeries, runLabel, writePlots } from './plot';
import { type MetricsLine, MetricsLog, Progress } from './progress';
import type { Trainer } from './trainer';

export interface TrainLoopOptions {
  /** Run folder: metrics.jsonl, loss.svg and the checkpoint live here. */
  dir: string;
  /** The public Trainer (gvsl-onnx/train): it feeds each step's learning rate from its schedule. */
  trainer: Trainer;
  source: BatchSource;
  /** Steps already done (0, or the checkpoint's step when resuming). */
  startStep: number;
  steps: number;
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
  afterStep?(step: number, trainer: Trainer): Promise<Record<string, number> | undefined>;
  /** Extra plots, written with loss.svg/png at each checkpoint from the run's metrics so far (writePlots). */
  plot?(run: RunSeries): void;
}

/** What an fs error code means, in words. */
function explainWriteError(code: string): string {
  return (
    (
      {
        ENOSPC: 'no space left on the device',
        EDQUOT: 'disk quota exceeded',
        EACCES: 'permission denied',
        EPERM: 'operation not permitted',
        EROFS: 'read-only file system',
        EIO: 'input/output error',
      } as Record<string, string>
    )[code] ?? 'write failed'
  );
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
  // The plots' bins, kept up to date line by line (rebuilt from the kept lines at resume): a checkpoint draws
  // them without re-reading metrics.jsonl, so its cost does not grow with the run.
  const summary = new MetricsSummary();
  const metricsLog = new MetricsLog(metricsFile, o.resumed ? o.startStep : null, (l) => summary.addLine(l));
  const progress = new Progress(o.startStep + 1, o.steps, o.quiet || o.json);
  let interrupted = false;
  // Ctrl-C: finish the step, save and stop; a second press aborts (interrupt.ts).
  const endStopRequests = onStopRequest(() => {
    interrupted = true;
    process.stderr.write('\ninterrupted: finishing this step and saving a checkpoint (Ctrl-C again to abort)\n');
  });

  let step = o.startStep;
  let lastSaved = o.startStep;
  /** The error to throw for `e` raised while writing `what` (an fs error in one line; others as they are). */
  const writeError = (e: unknown, what: string, kept: string): unknown => {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) return e;
    return new UserError(
      `step ${step}: cannot write ${what} in ${o.dir} (${code}: ${explainWriteError(code)}); ${kept}. Free space or fix permissions, then resume with --resume ${o.dir}`,
    );
  };
  const checkpoint = async () => {
    const state = await o.trainer.fullState();
    let file: string;
    try {
      file = o.save(state, step);
    } catch (e) {
      const kept =
        lastSaved > 0 || o.resumed ? `the checkpoint of step ${lastSaved} is intact` : 'no checkpoint was written yet';
      throw writeError(e, 'the checkpoint', kept);
    }
    lastSaved = step;
    try {
      const run = summary.series(runLabel(o.dir));
      writePlots(o.dir, 'loss', run);
      o.plot?.(run);
    } catch (e) {
      // The checkpoint of this step is already on disk: say so (not the previous one's step).
      throw writeError(e, 'the plots', `the checkpoint of step ${step} was written`);
    }
    return file;
  };
  try {
    while (step < o.steps && !interrupted) {
      const batch = await o.source.get(step + 1);
      const lr = o.trainer.lr;
      let metrics;
      try {
        metrics = await o.trainer.step(batch);
      } catch (e) {
        throw new UserError(`step ${step + 1}: ONNX Runtime failed: ${(e as Error).message.split('\n')[0]}`);
      }
      const bad = o.terms.find((k) => !Number.isFinite(metrics[k]));
      // The loss is computed before the step's update; state_check covers the updated parameters and
      // optimizer state, so a checkpoint is only ever written from a state known to be finite.
      const badState = STATE_CHECK in metrics && !Number.isFinite(metrics[STATE_CHECK]);
      if (bad || badState) {
        const kept =
          lastSaved > 0 || o.resumed
            ? `the last good checkpoint (step ${lastSaved}) is ${path.join(o.dir, CHECKPOINT_FILE)}: resume it with --resume ${o.dir} --lr <lower>`
            : 'no checkpoint was written yet';
        const what = bad
          ? `${bad} is ${metrics[bad]}`
          : 'the update made parameters or optimizer state non-finite (NaN or infinite)';
        throw new UserError(
          `step ${step + 1}: ${what}; training stopped (${kept}). Try a lower --lr or check the data.`,
        );
      }
      step++;
      const shown = Object.fromEntries(o.terms.map((k) => [k, metrics[k]]));
      const extra = (await o.afterStep?.(step, o.trainer)) ?? {};
      const line: MetricsLine = { step, time: (performance.now() - o.t0) / 1000, lr, ...shown, ...extra };
      try {
        metricsLog.append(line);
      } catch (e) {
        // A failed write has no path in its error: name the file here (the checkpoint is not touched).
        const code = (e as NodeJS.ErrnoException).code;
        if (!code) throw e;
        const kept =
          lastSaved > 0 || o.resumed
            ? `the checkpoint of step ${lastSaved} is intact`
            : 'no checkpoint was written yet';
        throw new UserError(
          `step ${step}: cannot append to ${metricsFile} (${code}: ${explainWriteError(code)}); ${kept}. Free space or fix permissions, then resume with --resume ${o.dir}`,
        );
      }
      if (o.json) process.stdout.write(JSON.stringify(line) + '\n');
      progress.update(step, { ...shown, ...extra });
      if (step % o.saveEvery === 0 && step < o.steps) await checkpoint();
    }
    progress.end();
    return { step, interrupted, checkpoint: await checkpoint() };
  } finally {
    endStopRequests();
  }
}
