import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StateDict } from '../../sdk/state';
import { loadSafetensors, saveSafetensors } from '../checkpoint/safetensors';

/** Bumped when the checkpoint layout changes. */
export const CHECKPOINT_FORMAT = 'gvsl-onnx/1';

/** What a training checkpoint holds besides the tensors. */
export interface CheckpointMeta<C> {
  /** The run's configuration (everything needed to rebuild the graphs and the data stream). */
  config: C;
  /** Completed optimizer steps. */
  step: number;
  /** Free-form extra state (e.g. best validation score). */
  extra?: Record<string, unknown>;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/**
 * Writes parameters + optimizer state (state_dict names; optimizer slots as `adam.m.<param>`) and the run's
 * metadata as one safetensors file, atomically (temp file + rename): a crash never leaves a broken checkpoint.
 */
export function saveCheckpoint<C>(
  dir: string,
  state: StateDict,
  meta: CheckpointMeta<C>,
  file = CHECKPOINT_FILE,
): string {
  const target = path.join(dir, file);
  saveSafetensors(target, state, {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(meta.config),
    step: String(meta.step),
    extra: JSON.stringify(meta.extra ?? {}),
  });
  return target;
}

/** The checkpoint file a path names: the path itself, or a run folder's checkpoint. */
export function checkpointFile(fileOrDir: string): string {
  return fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory()
    ? path.join(fileOrDir, CHECKPOINT_FILE)
    : fileOrDir;
}

/** Reads a checkpoint written by saveCheckpoint (`fileOrDir` may be the run folder). */
export function loadCheckpoint<C>(fileOrDir: string): { state: StateDict; meta: CheckpointMeta<C>; file: string } {
  const file = checkpointFile(fileOrDir);
  if (!fs.existsSync(file)) throw new Error(`no checkpoint at ${file}`);
  const { tensors, metadata } = loadSafetensors(file);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `${file} is not a gvsl-onnx training checkpoint (format '${metadata.format ?? 'none'}'); use --weights for plain weights`,
    );
  }
  const json = (key: string, text: string | undefined): unknown => {
    try {
      return text === undefined ? undefined : JSON.parse(text);
    } catch {
      throw new Error(`${file}: its ${key} metadata is not valid JSON (damaged checkpoint)`);
    }
  };
  const config = json('config', metadata.config);
  if (typeof config !== 'object' || config === null || Array.isArray(config) || Object.keys(config).length === 0) {
    throw new Error(
      `${file}: the checkpoint has no run configuration (metadata "config" ${metadata.config === undefined ? 'missing' : 'empty'}); it cannot be resumed, but its weights load with --weights`,
    );
  }
  const step = Number(metadata.step);
  if (!Number.isSafeInteger(step) || step < 0)
    throw new Error(
      `${file}: the checkpoint's step '${metadata.step}' is not a non-negative integer (damaged checkpoint)`,
    );
  return {
    state: tensors,
    meta: { config: config as C, step, extra: (json('extra', metadata.extra) ?? {}) as Record<string, unknown> },
    file,
  };
}
