/**
 * `--config FILE` for every command: a JSON or YAML file of flag values (kebab-case or camelCase keys, the
 * positional arguments by name), or a run folder's `config.json` (pretrain, finetune), which re-runs that run.
 *
 * Precedence: flags on the command line > the config file > the defaults. Relative paths in a config file are
 * relative to the file's folder (so a config travels with its data).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../engine/errors';

/** Keys whose values are file or folder paths (resolved against the config file's folder). */
const PATH_KEYS = new Set([
  'data',
  'images',
  'labels',
  'weights',
  'out',
  'model',
  'image',
  'fixed',
  'moving',
  'dataset',
  'resume',
  'runs',
  'preview',
  'base-dir',
  'baseDir',
  'profile-dir',
  'profileDir',
  'fixed-labels',
  'fixedLabels',
  'metrics',
]);

/** The path given with `--config FILE` / `--config=FILE` in the raw arguments, if any. */
export function configArgument(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (args[i] === '--config') {
      if (i + 1 >= args.length || args[i + 1].startsWith('--'))
        throw new UserError('--config needs a file: --config FILE.json (or .yaml)');
      return args[i + 1];
    }
    if (args[i].startsWith('--config=')) return args[i].slice('--config='.length);
  }
  return undefined;
}

/** Reads a JSON or YAML file into an object of flag values, or one line saying what is wrong with it. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(
      `--config ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    const kind = /\.ya?ml$/i.test(file) ? 'YAML' : 'JSON';
    throw new UserError(`--config ${file}: not valid ${kind} (${(e as Error).message.split('\n')[0]})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UserError(
      `--config ${file}: expected a mapping of flag names to values (e.g. {"steps": 1000, "lr": 1e-4})`,
    );
  return value as Record<string, unknown>;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A pre-training run's config.json (runtime/pretrain/config.ts) as pretrain flags. */
function fromPretrainRun(c: Record<string, unknown>): Record<string, unknown> {
  const w = isObj(c.lossWeights) ? c.lossWeights : {};
  const aug = isObj(c.augment) ? c.augment : {};
  const flags: Record<string, unknown> = {
    data: c.samples ? undefined : c.volumes,
    size: c.size,
    batch: c.batch,
    chan: c.chan,
    geometry: c.geometry,
    lr: c.lr,
    steps: c.steps,
    seed: c.seed,
    'w-ncc': w.ncc,
    'w-mse': w.mse,
    'w-smooth': w.smooth,
    normalize: c.normalize,
    spacing: c.spacing,
    'save-every': c.saveEvery,
    augment:
      aug.appearance === undefined && aug.spatial === undefined
        ? undefined
        : aug.appearance !== false || aug.spatial !== false,
    'official-augment': c.officialAugment,
    weights: c.weights,
  };
  // The similarity loss (graphs/similarity's stored SimilaritySpec) as its --similarity flags.
  const sim = isObj(c.similarity) ? c.similarity : {};
  Object.assign(flags, {
    similarity: sim.kind,
    'similarity-window': sim.window,
    'similarity-sigma': sim.sigma,
    'similarity-bins': sim.bins,
    'similarity-kernel': sim.sigmaRatio,
    'similarity-sampling': sim.sampling,
  });
  return flags;
}

/** A fine-tuning run's config.json (runtime/finetune/config.ts) as finetune flags; its file lists are read as a datalist (--dataset). */
function fromFinetuneRun(c: Record<string, unknown>, file: string): Record<string, unknown> {
  return {
    dataset: file,
    classes: c.classes,
    mode: c.mode,
    size: c.size,
    batch: c.batch,
    chan: c.chan,
    lr: c.lr,
    steps: c.steps,
    seed: c.seed,
    'ce-weight': c.ceWeight,
    normalize: c.normalize,
    spacing: c.spacing,
    'save-every': c.saveEvery,
    'val-every': c.valEvery,
    overlap: c.overlap,
    weights: c.weights,
  };
}

/** Which kind of file this is: a run's config.json, or flags. */
export function configKind(c: Record<string, unknown>): 'pretrain-run' | 'finetune-run' | 'flags' {
  if (Array.isArray(c.volumes) && isObj(c.lossWeights)) return 'pretrain-run';
  if (Array.isArray(c.train) && typeof c.classes === 'number' && !('images' in c)) return 'finetune-run';
  return 'flags';
}

/**
 * The flag values `file` gives `command` (undefined values dropped, paths resolved against the file's folder).
 * A run config of another command is refused with one line.
 */
export function configFlags(file: string, command: string): Record<string, unknown> {
  const raw = readConfigFile(file);
  const kind = configKind(raw);
  const runOf = kind === 'pretrain-run' ? 'pretrain' : kind === 'finetune-run' ? 'finetune' : null;
  if (runOf && runOf !== command)
    throw new UserError(`--config ${file}: this is a ${runOf} run's config.json; use it with onnx-train ${runOf}`);
  const flags =
    kind === 'pretrain-run'
      ? fromPretrainRun(raw)
      : kind === 'finetune-run'
        ? fromFinetuneRun(raw, path.resolve(file))
        : raw;
  const base = path.dirname(path.resolve(file));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined || v === null) continue;
    if (k === 'config') throw new UserError(`--config ${file}: a config file cannot name another config file`);
    out[k] = PATH_KEYS.has(k) ? resolvePaths(v, base) : v;
  }
  return out;
}

function resolvePaths(v: unknown, base: string): unknown {
  if (typeof v === 'string') return path.resolve(base, v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? path.resolve(base, x) : x));
  return v;
}
