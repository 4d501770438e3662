import * as fs from 'node:fs';
import type { Module } from '../sdk/nn/module';
import type { StateDict } from '../sdk/state';
import { formatLoadReport, loadWeights, matchStateDict } from './checkpoint/load';
import { UserError } from './cli/errors';

export interface LoadedWeights {
  tensors: StateDict;
  metadata: Record<string, string>;
  /** Parameters of the model the file did not provide (kept at their initial values when allowed). */
  missing: string[];
}

/**
 * Loads a checkpoint (.safetensors, or a PyTorch .pth/.pt state_dict) for `model`, strictly like PyTorch's
 * load_state_dict: missing, unexpected and wrongly shaped keys are an error that lists them. With
 * `allowBackboneOnly`, a U-Net-only state_dict (with or without the `unet.` prefix) is accepted and the
 * heads keep a fresh initialisation (`seed`).
 */
export function loadModelWeights(model: Module, file: string, opts: { allowBackboneOnly?: boolean; seed?: number } = {}): LoadedWeights {
  if (!fs.existsSync(file)) throw new UserError(`weights file ${file} does not exist`);
  let loaded;
  try {
    loaded = loadWeights(file);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  const expected = model.paramSpecs();
  const report = matchStateDict(expected, loaded.tensors, { prefixes: ['unet.'] });
  const backboneOnly = report.missing.length > 0 && report.missing.every((k) => !k.startsWith('unet.'));
  const fatal = report.unexpected.length > 0 || report.mismatched.length > 0 || (report.missing.length > 0 && !(opts.allowBackboneOnly && backboneOnly));
  if (fatal) throw new UserError(`${file} does not fit this model: ${formatLoadReport(report)}`);
  const tensors: StateDict = new Map();
  const init = report.missing.length ? model.initStateDict(opts.seed ?? 0) : null;
  for (const k of expected.keys()) tensors.set(k, report.tensors.get(k) ?? init!.get(k)!);
  return { tensors, metadata: loaded.metadata, missing: report.missing };
}
