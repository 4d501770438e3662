import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../../sdk/graph';
import { type ExportOptions, saveModel } from '../../sdk/export';
import { ATOMIC_TMP, writeFileAtomic } from '../../sdk/bytes';
import type { StateDict } from '../../sdk/state';
import { type BatchMaker, type BatchSource, inlineSource, workerScript, workerSource } from './batches';
import { UserError } from './errors';
import { checkExecutionProvider, explainSessionError, type ExecutionProvider, type SessionOptions } from './ort';
import { sigintRun } from './interrupt';
import { RunLock } from './run-lock';
import type { TrainingProgram } from './program';
import { Trainer } from './trainer';

/** Runtime options that may change between a run and its resumption. */
export interface RunOptions {
  out: string;
  ep: ExecutionProvider;
  threads?: number;
  /** Turn ORT's CPU memory arena off (`--no-arena`; slower, and no memory saving at 64³ since the third memory round: docs/performance.md). */
  noArena?: boolean;
  quiet: boolean;
  json: boolean;
  /** Use worker threads for data and training (default true when the compiled build is present). */
  workers?: boolean;
  /** The run continues a checkpoint in its folder (named in the lock's message). */
  resumed?: boolean;
}

/** A training run's output folder, clock and message channels (see beginRun). */
export interface RunContext {
  /** The absolute output folder (created, known writable). */
  dir: string;
  /** performance.now() at the start. */
  t0: number;
  /** Progress messages (silent with `quiet`), on a line of their own even under a progress bar. */
  log(message: string): void;
  warn(message: string): void;
  /** Releases the run folder's lock (also done on process exit). */
  release(): void;
}

/**
 * The prologue every training run shares: the output folder created and checked writable, the execution
 * provider checked, a resumed run that has nothing left to do refused, the folder locked against a second
 * run (RunLock) and temporary files that killed runs left behind removed.
 */
export function beginRun(opts: RunOptions, startStep: number, steps: number): RunContext {
  const t0 = performance.now();
  const dir = path.resolve(opts.out);
  ensureWritable(dir);
  checkExecutionProvider(opts.ep);
  if (startStep >= steps)
    throw new UserError(
      `the checkpoint is at step ${startStep} and --steps is ${steps}: nothing to do (raise --steps)`,
    );
  const lock = RunLock.acquire(
    dir,
    (m) => process.stderr.write(`note: ${m}\n`),
    opts.resumed ? '--resume folder' : '--out',
  );
  removeLeftovers(dir);
  return {
    dir,
    t0,
    release: () => lock.release(),
    log: (m) => {
      if (!opts.quiet) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${m}\n`);
    },
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
  };
}

/** Removes the `.tmp` files of writes that a killed run left in `dir` (the folder is locked: they are no one's). */
export function removeLeftovers(dir: string): void {
  for (const f of fs.readdirSync(dir))
    if (ATOMIC_TMP.test(f) || /^\.write-test-\d+$/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
}

/**
 * Runs a training run's `body` in a begun run (beginRun), releasing the folder's lock however it ends, Ctrl-C
 * included (interrupt.ts: after the training loop it aborts at once).
 */
export async function inRun<T>(
  opts: RunOptions,
  startStep: number,
  steps: number,
  body: (run: RunContext) => Promise<T>,
): Promise<T> {
  const run = beginRun(opts, startStep, steps);
  const endSigint = sigintRun(); // Ctrl-C after the loop, during teardown, aborts with the lock released
  try {
    return await body(run);
  } finally {
    endSigint();
    run.release();
  }
}

/** Creates `dir` and checks it can be written to (a UserError naming it otherwise). */
export function ensureWritable(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (e) {
    throw new UserError(
      `cannot write to the output folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): choose another --out`,
    );
  }
}

/** A run's batch source and whether it runs in worker threads (then the trainer does too). */
export interface RunData {
  source: BatchSource;
  useWorkers: boolean;
}

/**
 * The run's data: in a worker thread when the compiled build is present (and `opts.workers` allows), loading
 * `module` (the compiled file exporting `batchMaker`, see BatchTask), else `maker` on the calling thread.
 */
export async function openRunData<C>(
  opts: RunOptions,
  module: string,
  cfg: C,
  maker: (cfg: C, warn: (m: string) => void) => BatchMaker,
  first: number,
  last: number,
  warn: (m: string) => void,
): Promise<RunData> {
  const useWorkers = (opts.workers ?? true) && workerScript() !== null;
  const source = useWorkers ? await workerSource({ module, cfg }, first, last, warn) : inlineSource(maker(cfg, warn));
  return { source, useWorkers };
}

/**
 * Writes the run's config.json and its training-step graph train.onnx (parameters as inputs); returns the latter's
 * path and bytes.
 */
export function writeRunFiles(
  dir: string,
  cfg: unknown,
  graph: Graph,
  save: Pick<ExportOptions, 'docString' | 'metadata' | 'opset'> = {},
): { trainFile: string; model: Uint8Array } {
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  const trainFile = path.join(dir, 'train.onnx');
  const { model } = saveModel(graph, trainFile, { ...save, params: 'inputs' });
  return { trainFile, model };
}

/**
 * The public Trainer (gvsl-onnx/train) of a run (pretrain, finetune) on `opts`' provider, with learning rate `lr`
 * (a number or a schedule), in a worker thread when `useWorkers`; a failure closes the data source and becomes one
 * line saying what to do.
 */
export async function startRunTrainer(
  program: TrainingProgram,
  state: StateDict,
  lr: number,
  opts: RunOptions,
  startStep: number,
  data: RunData,
  extra: SessionOptions = {},
): Promise<Trainer> {
  try {
    // No silent CPU fallback on a GPU provider: a node it cannot run is an error, not a slow step.
    return await Trainer.create(program, {
      weights: state,
      lr,
      step: startStep,
      worker: data.useWorkers && workerScript() !== null,
      ep: opts.ep,
      threads: opts.threads,
      noArena: opts.noArena,
      noCpuFallback: true,
      ...extra,
    });
  } catch (e) {
    await data.source.close();
    throw new UserError(
      `could not start the training session on '${opts.ep}': ${explainSessionError(opts.ep, (e as Error).message)}`,
    );
  }
}

/**
 * Runs `body` with the run's Trainer (see startRunTrainer), then releases the session, `cleanup` and
 * the data source, whatever happened.
 */
export async function withRunTrainer<T>(
  program: TrainingProgram,
  state: StateDict,
  lr: number,
  opts: RunOptions,
  startStep: number,
  data: RunData,
  extra: SessionOptions,
  body: (trainer: Trainer) => Promise<T>,
  cleanup?: () => Promise<void>,
): Promise<T> {
  const trainer = await startRunTrainer(program, state, lr, opts, startStep, data, extra);
  try {
    return await body(trainer);
  } finally {
    await trainer.release();
    await cleanup?.();
    await data.source.close();
  }
}
