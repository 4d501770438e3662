import * as fs from 'node:fs';
import type { Module } from '../../sdk/nn/module';
import type { StateDict } from '../../sdk/state';
import { formatLoadReport, loadWeights, matchStateDict, type LoadedCheckpoint } from './load';
import { UserError } from '../engine/errors';
import { OPTIMIZER_STATE_PREFIXES } from '../../sdk/optim';
import { CHECKPOINT_FORMAT, checkpointFile } from '../engine/checkpoint';

export interface LoadedWeights {
  tensors: StateDict;
  metadata: Record<string, string>;
  /** Parameters of the model the file did not provide (kept at their initial values when allowed). */
  missing: string[];
  /**
   * What the caller may want to tell the user, one line each: the wrapper key a .pth state_dict was found
   * under, the key prefix that was added or removed, which tensors were converted to the model's dtype, and
   * the heads left at a fresh initialisation. The loader itself prints nothing.
   */
  notes: string[];
}

/**
 * Loads a checkpoint (.safetensors, or a PyTorch .pth/.pt state_dict) for `model`, strictly like PyTorch's
 * load_state_dict: missing, unexpected and wrongly shaped keys are an error that lists them. With
 * `allowBackboneOnly`, a U-Net-only state_dict (with or without the `unet.` prefix) is accepted and the
 * heads keep a fresh initialisation (`seed`).
 */
export function loadModelWeights(
  model: Module,
  fileOrDir: string,
  opts: { allowBackboneOnly?: boolean; seed?: number } = {},
): LoadedWeights {
  const file = checkpointFile(fileOrDir);
  if (!fs.existsSync(file)) throw new UserError(`weights file ${file} does not exist`);
  let loaded: LoadedCheckpoint;
  try {
    loaded = loadWeights(file);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  // A training checkpoint also holds the optimizer's state: the model's weights are the rest.
  const training = loaded.metadata.format === CHECKPOINT_FORMAT;
  const isOptimizerState = (k: string) => training && OPTIMIZER_STATE_PREFIXES.some((p) => k.startsWith(p));
  const optimizerKeys = [...loaded.tensors.keys()].filter(isOptimizerState);
  const weights = optimizerKeys.length
    ? new Map([...loaded.tensors].filter(([k]) => !isOptimizerState(k)))
    : loaded.tensors;
  const expected = model.stateSpecs();
  const report = matchStateDict(expected, weights, { prefixes: ['unet.'] });
  const backboneOnly = report.missing.length > 0 && report.missing.every((k) => !k.startsWith('unet.'));
  const fatal =
    report.unexpected.length > 0 ||
    report.mismatched.length > 0 ||
    (report.missing.length > 0 && !(opts.allowBackboneOnly && backboneOnly));
  if (fatal) throw new UserError(`${file} does not fit this model: ${formatLoadReport(report)}`);
  const tensors: StateDict = new Map();
  const init = report.missing.length ? model.initStateDict(opts.seed ?? 0) : null;
  for (const k of expected.keys()) tensors.set(k, report.tensors.get(k) ?? init!.get(k)!);
  const notes: string[] = [];
  if (optimizerKeys.length)
    notes.push(
      `${file}: a training checkpoint; its ${optimizerKeys.length} optimizer-state tensors are not weights and were left out`,
    );
  if (loaded.wrapperKey !== undefined)
    notes.push(`${file}: the state_dict was read from the checkpoint's "${loaded.wrapperKey}" entry`);
  if (report.prefix?.added) notes.push(`${file}: keys read with the prefix "${report.prefix.added}" added`);
  if (report.prefix?.removed) notes.push(`${file}: keys read with the prefix "${report.prefix.removed}" removed`);
  if (report.converted.length) {
    const dtypes = (keys: string[], of: (k: string) => string) => [...new Set(keys.map(of))].join('/');
    const from = dtypes(report.converted, (k) => checkpointDtype(loaded, k));
    const to = dtypes(report.converted, (k) => expected.get(k)!.dtype);
    const which =
      report.converted.length === report.tensors.size
        ? `all ${report.tensors.size} tensors`
        : `${report.converted.length} tensor(s): ${report.converted.join(', ')}`;
    notes.push(`${file}: converted ${which} from ${from} to ${to}`);
  }
  if (report.missing.length)
    notes.push(
      `${file}: backbone-only weights; ${report.missing.length} head parameter(s) keep a fresh initialisation (seed ${opts.seed ?? 0})`,
    );
  return { tensors, metadata: loaded.metadata, missing: report.missing, notes };
}

/** The dtype a model key `k` had in the checkpoint, whose keys may carry or lack the `unet.` prefix. */
function checkpointDtype(loaded: LoadedCheckpoint, k: string): string {
  const t = loaded.tensors.get(k) ?? loaded.tensors.get(`unet.${k}`) ?? loaded.tensors.get(k.replace(/^unet\./, ''));
  return t?.dtype ?? '?';
}
