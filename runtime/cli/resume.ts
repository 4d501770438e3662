import * as path from 'node:path';
import { loadCheckpoint } from '../engine/checkpoint';
import { UserError } from '../engine/errors';

/** The checkpoint `--resume DIR` names, or one line saying why it cannot be resumed. */
export function resumeCheckpoint<C>(dir: string): ReturnType<typeof loadCheckpoint<C>> {
  try {
    return loadCheckpoint<C>(dir);
  } catch (e) {
    throw new UserError(`--resume ${dir}: ${(e as Error).message}`);
  }
}

let commandLine: readonly string[] = [];

/** Records the command line's arguments (main does, before parsing) for givenFlags. */
export function recordCommandLine(args: readonly string[]): void {
  commandLine = args;
}

/**
 * The flags given on the command line (long names, kebab-case, without `no-`), read from the raw arguments:
 * yargs fills in defaults, so its result cannot tell `--batch 1` from no --batch at all.
 */
export function givenFlags(argv: readonly string[] = commandLine): Set<string> {
  const out = new Set<string>();
  for (const t of argv) {
    if (t === '--') break;
    const m = /^--(?:no-)?([a-z][a-z0-9-]*)(=|$)/i.exec(t);
    if (m) out.add(m[1].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
  }
  return out;
}

/** Flags that change how a run continues, not what it is: a resumed run honours them. */
const SAFE = new Set([
  'resume',
  'lr',
  'steps',
  'save-every',
  'val-every',
  'overlap',
  'ep',
  'threads',
  'arena',
  'quiet',
  'json',
  'max-buffer-mib',
  'help',
  'version',
]);

/** Why each other flag cannot change when resuming (the checkpoint, its graph or its data stream depend on it). */
const WHY: Record<string, string> = {
  chan: "the checkpoint's tensors have the run's widths",
  size: "the training graph and the crops are built for the run's crop size",
  batch: "the training graph is built for the run's batch size",
  geometry: "the trained weights follow the run's spatial conventions",
  seed: "the data order and augmentations follow the run's seed",
  'w-ncc': 'the loss the run optimises would change',
  'w-mse': 'the loss the run optimises would change',
  'w-smooth': 'the loss the run optimises would change',
  'ce-weight': 'the loss the run optimises would change',
  similarity: 'the loss the run optimises would change',
  'similarity-window': 'the loss the run optimises would change',
  'similarity-sigma': 'the loss the run optimises would change',
  'similarity-bins': 'the loss the run optimises would change',
  'similarity-kernel': 'the loss the run optimises would change',
  'similarity-sampling': 'the loss the run optimises would change',
  normalize: 'the data would change under the trained weights',
  spacing: 'the data would change under the trained weights',
  augment: 'the data stream would change',
  'official-augment': 'the data stream would change',
  weights: 'a resumed run starts from its checkpoint, not from weights',
  images: "the run's data and split are fixed",
  labels: "the run's data and split are fixed",
  val: "the run's data and split are fixed",
  'val-fraction': "the run's data and split are fixed",
  classes: "the checkpoint's output layer has the run's classes",
  mode: 'which weights train is part of the run',
  data: "the run's volumes are fixed",
  channel: "the run's volumes are fixed",
  dataset: "the run's data and split are fixed",
  'base-dir': "the run's data and split are fixed",
  config:
    'a resumed run is defined by its checkpoint, not by a config file; give the overrides (--lr, --steps, …) as flags',
};

export interface ResumeArgs {
  resume?: string;
  out?: string;
  lr?: number;
  steps?: number;
  saveEvery?: number;
  valEvery?: number;
  overlap?: number;
}

/**
 * The checkpoint's config with the overrides a resumed run honours (--lr, --steps, --save-every, and for
 * fine-tuning --val-every, --overlap; runtime flags such as --ep, --threads, --quiet, --json act anyway), or
 * one line naming a flag that cannot change and why. `given` is givenFlags of the command line.
 */
export function applyResumeOverrides<
  C extends { lr: number; steps: number; saveEvery: number; valEvery?: number; overlap?: number },
>(cfg: C, a: ResumeArgs, given: Set<string>, extraGiven: string[] = []): C {
  const dir = a.resume!;
  for (const flag of [...given, ...extraGiven]) {
    if (SAFE.has(flag)) continue;
    if (flag === 'out') {
      if (a.out !== undefined && path.resolve(a.out) !== path.resolve(dir)) {
        throw new UserError(
          `--resume ${dir}: --out cannot change: a resumed run continues in its own folder (copy the folder first to branch a run)`,
        );
      }
      continue;
    }
    if (flag === 'geometry') continue; // checked by the caller against the run's geometry
    const why = WHY[flag] ?? 'the resumed run is defined by its checkpoint';
    throw new UserError(
      `--resume ${dir}: --${flag} cannot change when resuming (${why}); leave it out, or start a new run (--weights ${path.join(dir, 'checkpoint.safetensors')} keeps the weights)`,
    );
  }
  // The values were checked at parse time (runtime/cli/parse.ts).
  const out = { ...cfg };
  if (given.has('lr') && a.lr !== undefined) out.lr = a.lr;
  if (given.has('steps') && a.steps !== undefined) out.steps = a.steps;
  if (given.has('save-every') && a.saveEvery !== undefined) out.saveEvery = a.saveEvery;
  if (given.has('val-every') && a.valEvery !== undefined && 'valEvery' in cfg) out.valEvery = a.valEvery;
  if (given.has('overlap') && a.overlap !== undefined && 'overlap' in cfg) out.overlap = a.overlap;
  return out;
}
